package slaq_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/redisstore"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// storeKind names a store the engine tests run on; every behaviour test runs on each.
type storeKind struct {
	name string
	open func(t *testing.T) store.Store
}

var prefixSeq atomic.Int64

func storeKinds(t *testing.T) []storeKind {
	kinds := []storeKind{{"embedded", openEmbedded}}
	kinds = append(kinds, storeKind{"redis", openRedis})
	return kinds
}

func openEmbedded(t *testing.T) store.Store {
	t.Helper()
	return openEmbeddedAt(t, filepath.Join(t.TempDir(), "slaq.db"))
}

func openEmbeddedAt(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// requireRedis fails under CI=true and skips loudly otherwise when Redis is unreachable.
func openRedis(t *testing.T) store.Store {
	t.Helper()
	opts := redisstore.Options{Prefix: fmt.Sprintf("slaqtest:%d:%d:%d", os.Getpid(), time.Now().UnixNano(), prefixSeq.Add(1))}
	if u := os.Getenv("REDIS_URL"); u != "" {
		o, err := redisstore.ParseURL(u)
		if err != nil {
			t.Fatalf("REDIS_URL: %v", err)
		}
		o.Prefix = opts.Prefix
		opts = o
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := redisstore.New(ctx, opts)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is required under CI=true: %v", err)
		}
		t.Skipf("SKIPPING: no Redis at 127.0.0.1:6379 (%v). Start one: redis-server --daemonize yes --port 6379 --save '' --appendonly no", err)
	}
	t.Cleanup(func() {
		_ = st.Close()
		deleteRedisPrefix(t, opts)
	})
	return st
}

// deleteRedisPrefix deletes every key of a test's store (they all start with "{prefix:").
func deleteRedisPrefix(t *testing.T, opts redisstore.Options) {
	addrs := opts.Addrs
	if len(addrs) == 0 {
		addrs = []string{"127.0.0.1:6379"}
	}
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: addrs, Password: opts.Password, SelectDB: opts.DB, DisableCache: true})
	if err != nil {
		t.Logf("cleaning up Redis keys: %v", err)
		return
	}
	defer rc.Close()
	ctx := context.Background()
	var cursor uint64
	for {
		e, err := rc.Do(ctx, rc.B().Scan().Cursor(cursor).Match("{"+opts.Prefix+":*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Logf("cleaning up Redis keys: %v", err)
			return
		}
		for _, k := range e.Elements {
			rc.Do(ctx, rc.B().Del().Key(k).Build())
		}
		if cursor = e.Cursor; cursor == 0 {
			return
		}
	}
}

// eachStore runs f as a parallel sub-test on every store kind.
func eachStore(t *testing.T, f func(t *testing.T, open func(*testing.T) store.Store)) {
	t.Helper()
	for _, k := range storeKinds(t) {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			f(t, k.open)
		})
	}
}

// newClient starts a client on st with cfg and stops it when the test ends.
func newClient(t *testing.T, st store.Store, cfg slaq.Config) *slaq.Client {
	t.Helper()
	c, err := slaq.New(st, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if cfg.Handler != nil {
		if err := c.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = c.Stop(ctx)
		})
	}
	return c
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitState waits until the job with id is in state want and returns it.
func waitState(t *testing.T, c *slaq.Client, id string, want store.State) *slaq.Job {
	t.Helper()
	return waitJob(t, c, id, fmt.Sprintf("state %s", want), func(j *slaq.Job) bool { return j.State == want })
}

// waitJob waits until the job with id satisfies cond and returns it.
func waitJob(t *testing.T, c *slaq.Client, id, what string, cond func(*slaq.Job) bool) *slaq.Job {
	t.Helper()
	var last *slaq.Job
	waitFor(t, 10*time.Second, fmt.Sprintf("job %s: %s", id, what), func() bool {
		j, err := c.Job(context.Background(), id)
		if err == nil {
			last = j
			return cond(j)
		}
		return false
	})
	return last
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.UnixMilli(1_800_000_000_000)} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// gate blocks handlers until opened, and counts who entered.
type gate struct {
	open    chan struct{}
	entered chan string
}

func newGate() *gate { return &gate{open: make(chan struct{}), entered: make(chan string, 10000)} }

func (g *gate) wait(ctx context.Context, id string) error {
	g.entered <- id
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gate) release() { close(g.open) }

// expectEntered waits for n handlers to enter the gate.
func (g *gate) expectEntered(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	timeout := time.After(10 * time.Second)
	for len(ids) < n {
		select {
		case id := <-g.entered:
			ids = append(ids, id)
		case <-timeout:
			t.Fatalf("only %d of %d handlers started", len(ids), n)
		}
	}
	return ids
}
