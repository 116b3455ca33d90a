package faults_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/faults"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store/redisstore"
)

// TestRedisRestart runs producers and workers on a Redis of the test's own (AOF,
// appendfsync always), stops it once with SHUTDOWN and once with SIGKILL, and restarts it
// on the same port and directory each time. Every enqueue that returned an id runs; every
// enqueue during an outage fails with an error wrapping slaq.ErrOutcomeUnknown; workers
// resume on their own once Redis is back (the time to the first run after a restart is the
// recovery figure).
func TestRedisRestart(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"SHUTDOWN", "SIGKILL"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			testRedisRestart(t, how)
		})
	}
}

func testRedisRestart(t *testing.T, how string) {
	srv := startOwnRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := redisstore.New(ctx, redisstore.Options{Addrs: []string{srv.addr()}, Prefix: testenv.Unique("faults-")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var (
		mu       sync.Mutex
		runs     = make(map[string]int)
		lastRun  time.Time
		runTimes []time.Time
	)
	mux := slaq.NewServeMux()
	mux.HandleFunc("work", func(ctx context.Context, j *slaq.Job) error {
		mu.Lock()
		runs[j.ID]++
		lastRun = time.Now()
		runTimes = append(runTimes, lastRun)
		mu.Unlock()
		return nil
	})
	c, err := slaq.New(st, slaq.Config{Handler: mux, Retention: slaq.None, Logger: slog.New(slog.DiscardHandler),
		Tiers: map[slaq.Tier]slaq.TierConfig{slaq.High: {Lease: 2 * time.Second}, slaq.Critical: {Lease: 2 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })

	// Producers enqueue without pause until told to stop, keeping the ids that were acknowledged.
	var (
		pmu      sync.Mutex
		acked    []string
		failures []error
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tiers := []slaq.Tier{slaq.Critical, slaq.High}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ectx, ecancel := context.WithTimeout(ctx, 2*time.Second)
				id, err := c.Enqueue(ectx, "work", map[string]int{"g": g, "i": i}, slaq.WithTier(tiers[i%2]))
				ecancel()
				pmu.Lock()
				if err != nil {
					failures = append(failures, err)
				} else {
					acked = append(acked, id)
				}
				pmu.Unlock()
			}
		}()
	}
	ackedN := func() int { pmu.Lock(); defer pmu.Unlock(); return len(acked) }
	failedN := func() int { pmu.Lock(); defer pmu.Unlock(); return len(failures) }
	testenv.PollUntil(t, 30*time.Second, "1,000 enqueues before the outage", func() bool { return ackedN() >= 1000 })
	if how == "SHUTDOWN" {
		srv.shutdown()
	} else {
		srv.kill()
	}
	testenv.PollUntil(t, 30*time.Second, "enqueues to fail during the outage", func() bool { return failedN() >= 20 })
	srv.start()
	restarted := time.Now()
	testenv.PollUntil(t, 30*time.Second, "1,000 more enqueues after the restart", func() bool { return ackedN() >= 2000 })
	close(stop)
	wg.Wait()
	pmu.Lock()
	ids := append([]string(nil), acked...)
	errs := append([]error(nil), failures...)
	pmu.Unlock()
	for _, err := range errs {
		if !errors.Is(err, slaq.ErrOutcomeUnknown) {
			t.Errorf("an enqueue during the outage failed with %v; want an error wrapping slaq.ErrOutcomeUnknown", err)
			break
		}
	}
	ranAll := func() (lost int) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if runs[id] == 0 {
				lost++
			}
		}
		return lost
	}
	testenv.PollUntil(t, time.Minute, "every acknowledged job to run", func() bool { return ranAll() == 0 })
	mu.Lock()
	var resumed time.Duration
	for _, at := range runTimes {
		if at.After(restarted) {
			resumed = at.Sub(restarted)
			break
		}
	}
	dup := 0
	for _, n := range runs {
		if n > 1 {
			dup++
		}
	}
	mu.Unlock()
	summary.Add(faults.Row{Scenario: "redis " + how + " + restart (AOF always)", Jobs: len(ids), Lost: ranAll(), Duplicated: dup,
		Recovery: resumed, Note: fmt.Sprintf("restart → first run; %d enqueues failed during the outage, all ErrOutcomeUnknown", len(errs))})
	if resumed > time.Second {
		t.Logf("NOTE: workers resumed %s after Redis returned (target: within a second)", resumed)
	}
	t.Logf("%s: %d acknowledged, all ran, %d duplicated; %d failed enqueues (first: %v); first run %s after the restart",
		how, len(ids), dup, len(errs), errs[0], resumed)
}
