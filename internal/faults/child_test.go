package faults_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store/redisstore"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// TestChild is the main of a child process (see childEnv):
//
//   - "worker:PREFIX" runs every tier's jobs of type "work" from the Redis store under
//     PREFIX, recording each run in Redis (runsKey: id → runs, atKey: id → last run, Unix
//     ms) and printing "start ID" as each run starts;
//   - "enqueuer:PATH" enqueues jobs into the embedded store at PATH from 8 goroutines as
//     fast as it can, printing "ack ID" after each Enqueue returned success.
//
// Both print "ready" first and run until killed.
func TestChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("runs only as a child process of a fault test")
	}
	role, arg, _ := strings.Cut(spec, ":")
	var out sync.Mutex
	say := func(s string) { out.Lock(); fmt.Println(s); out.Unlock() }
	switch role {
	case "worker":
		childWorker(t, arg, say)
	case "enqueuer":
		childEnqueuer(t, arg, say)
	default:
		t.Fatalf("unknown child role %q", role)
	}
}

// workerLease is the lease of every tier in the worker children: a killed child's jobs come
// back within about 1.5 leases (lease, then the rescuer's round every Lease/2).
const workerLease = 2 * time.Second

func runsKey(prefix string) string { return "{" + prefix + ":faults}:runs" }
func atKey(prefix string) string   { return "{" + prefix + ":faults}:at" }

func childWorker(t *testing.T, prefix string, say func(string)) {
	ctx := context.Background()
	st, err := redisstore.New(ctx, redisstore.Options{Addrs: []string{testenv.RedisAddr()}, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{testenv.RedisAddr()}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	// Work takes a little time, so that every tier has runs in flight at each kill: with two
	// processes the backlog of each lower tier's 4,000 jobs takes about 8 s, and CRITICAL,
	// fed at 500 jobs/s, keeps about 20 running and none waiting.
	work := [...]time.Duration{40 * time.Millisecond, 40 * time.Millisecond, 20 * time.Millisecond, 16 * time.Millisecond, 16 * time.Millisecond}
	mux := slaq.NewServeMux()
	mux.HandleFunc("work", func(ctx context.Context, j *slaq.Job) error {
		say("start " + j.ID)
		time.Sleep(work[j.Tier.Index()])
		for _, r := range rc.DoMulti(ctx,
			rc.B().Hincrby().Key(runsKey(prefix)).Field(j.ID).Increment(1).Build(),
			rc.B().Hset().Key(atKey(prefix)).FieldValue().FieldValue(j.ID, fmt.Sprint(time.Now().UnixMilli())).Build()) {
			if err := r.Error(); err != nil {
				return err
			}
		}
		return nil
	})
	tiers := make(map[slaq.Tier]slaq.TierConfig)
	for _, tr := range []slaq.Tier{slaq.Critical, slaq.High, slaq.Medium, slaq.Low, slaq.Batch} {
		tc := slaq.TierConfig{Lease: workerLease}
		if tr == slaq.Low || tr == slaq.Batch {
			tc.Workers, tc.MaxWorkers = 4, slaq.None
		}
		tiers[tr] = tc
	}
	c, err := slaq.New(st, slaq.Config{Handler: mux, Retention: slaq.None, Tiers: tiers,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	say("ready")
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {} // until killed
}

func childEnqueuer(t *testing.T, path string, say func(string)) {
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Clean(path), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := slaq.New(st, slaq.Config{})
	if err != nil {
		t.Fatal(err)
	}
	say("ready")
	tiers := []slaq.Tier{slaq.Critical, slaq.High, slaq.Medium, slaq.Low, slaq.Batch}
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				id, err := c.Enqueue(ctx, "crash", map[string]int{"g": g, "i": i}, slaq.WithTier(tiers[(g+i)%5]))
				if err != nil {
					say("error " + err.Error())
					continue
				}
				say("ack " + id)
			}
		}()
	}
	select {} // until killed
}
