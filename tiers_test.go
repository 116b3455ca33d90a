package slaq_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"
)

// tierOf decodes the "q" field the sharing tests put in payloads.
func tierOf(t *testing.T, j *slaq.Job) string {
	var p struct{ Q string }
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		t.Errorf("payload %s: %v", j.Payload, err)
	}
	return p.Q
}

func enqueueN(t *testing.T, c *slaq.Client, typ string, tier slaq.Tier, n int) []string {
	t.Helper()
	reqs := make([]slaq.Request, n)
	for i := range reqs {
		reqs[i] = slaq.Request{Type: typ, Payload: map[string]any{"q": tier.String(), "i": i},
			Options: []slaq.Option{slaq.WithTier(tier)}}
	}
	ids, err := c.EnqueueBulk(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// Every LOW and BATCH worker is busy with a job that does not end, with a deep backlog behind
// them; CRITICAL jobs still start at once, on CRITICAL's own workers.
func TestCriticalIsIsolatedFromBacklog(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		backlog := newGate()
		defer backlog.release()
		var criticalDone atomic.Int32
		mux := slaq.NewServeMux()
		mux.HandleFunc("export", func(ctx context.Context, j *slaq.Job) error { return backlog.wait(ctx, j.ID) })
		mux.HandleFunc("otp", func(ctx context.Context, j *slaq.Job) error { criticalDone.Add(1); return nil })
		st := open(t)
		producer := newClient(t, st, slaq.Config{Retention: -1})
		enqueueN(t, producer, "export", slaq.Batch, 200)
		enqueueN(t, producer, "export", slaq.Low, 200)
		c := newClient(t, st, slaq.Config{Handler: mux, Retention: -1})
		backlog.expectEntered(t, 3) // LOW's 2 workers and BATCH's 1 are all busy

		const n = 50
		for i := range n {
			if _, err := c.Enqueue(context.Background(), "otp", map[string]int{"i": i}, slaq.WithTier(slaq.Critical)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 10*time.Second, "CRITICAL jobs to run past the backlog", func() bool { return criticalDone.Load() == n })
		m, err := c.Metrics(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		crit, low := m["CRITICAL"], m["LOW"]
		if crit.Latency.Picked != n || crit.Latency.WithinSLA != 1 {
			t.Fatalf("CRITICAL pickup: %+v", crit.Latency)
		}
		if low.Running != 2 || low.Waiting != 198 {
			t.Fatalf("LOW must stay capped at its 2 workers: running %d, waiting %d", low.Running, low.Waiting)
		}
		t.Logf("CRITICAL pickup under a saturated backlog: p50 %.2f ms, p99 %.2f ms, max %.2f ms",
			crit.Latency.P50, crit.Latency.P99, crit.Latency.Max)
	})
}

// With upward help, an idle LOW worker runs HIGH work when HIGH's own workers are all busy;
// never the reverse.
func TestUpwardHelp(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		g := newGate()
		defer g.release()
		mux := slaq.NewServeMux()
		started := make(chan string, 100)
		mux.HandleFunc("hold", func(ctx context.Context, j *slaq.Job) error {
			started <- tierOf(t, j)
			return g.wait(ctx, j.ID)
		})
		c := newClient(t, open(t), slaq.Config{Handler: mux, Tiers: map[slaq.Tier]slaq.TierConfig{
			slaq.Critical: {Workers: 1}, slaq.High: {Workers: 1}, slaq.Medium: {Workers: 1},
			slaq.Low: {Workers: 1}, slaq.Batch: {Workers: 1},
		}})
		// Two HIGH jobs, one HIGH worker: the second runs on a worker of an idle, less urgent tier.
		enqueueN(t, c, "hold", slaq.High, 2)
		for range 2 {
			if got := <-started; got != "HIGH" {
				t.Fatalf("started a %s job", got)
			}
		}
		g.expectEntered(t, 2)
		m, _ := c.Metrics(context.Background())
		if m["HIGH"].Running != 2 || m["HIGH"].Busy != 1 {
			t.Fatalf("HIGH running %d on %d own busy workers; want 2 on 1", m["HIGH"].Running, m["HIGH"].Busy)
		}
		if m["CRITICAL"].Busy != 0 {
			t.Fatalf("the helper must come from a less urgent tier, not CRITICAL: %+v", m)
		}
	})
}

// Without lending, a saturated LOW tier never borrows idle workers of more urgent tiers.
// (Upward help lets an idle BATCH worker run LOW jobs; BATCH is kept busy here.)
func TestNoDownwardSharingByDefault(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		g := newGate()
		defer g.release()
		mux := slaq.NewServeMux()
		mux.HandleFunc("hold", func(ctx context.Context, j *slaq.Job) error { return g.wait(ctx, j.ID) })
		mux.HandleFunc("noop", func(ctx context.Context, j *slaq.Job) error { return nil })
		st := open(t)
		producer := newClient(t, st, slaq.Config{})
		enqueueN(t, producer, "hold", slaq.Batch, 1) // BATCH is busy too, so it has no idle worker to help LOW
		enqueueN(t, producer, "hold", slaq.Low, 20)
		c := newClient(t, st, slaq.Config{Handler: mux})
		g.expectEntered(t, 3)
		// Run work through every more urgent tier, so each fetcher has looked and gone idle.
		for _, tier := range []slaq.Tier{slaq.Critical, slaq.High, slaq.Medium} {
			id, _ := c.Enqueue(context.Background(), "noop", nil, slaq.WithTier(tier))
			waitState(t, c, id, store.StateCompleted)
		}
		select {
		case id := <-g.entered:
			t.Fatalf("a third LOW job (%s) started on a borrowed worker", id)
		case <-time.After(200 * time.Millisecond):
		}
		if m, _ := c.Metrics(context.Background()); m["LOW"].Running != 2 {
			t.Fatalf("LOW running %d, want 2", m["LOW"].Running)
		}
	})
}

// With elastic lending, idle CRITICAL workers run LOW jobs but Reserve of them stay idle, so
// CRITICAL work still starts at once.
func TestElasticLendingKeepsReserve(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		g := newGate()
		defer g.release()
		var critical atomic.Int32
		mux := slaq.NewServeMux()
		mux.HandleFunc("hold", func(ctx context.Context, j *slaq.Job) error { return g.wait(ctx, j.ID) })
		mux.HandleFunc("otp", func(ctx context.Context, j *slaq.Job) error { critical.Add(1); return nil })
		c := newClient(t, open(t), slaq.Config{Handler: mux, Elastic: true, NoUpwardHelp: true,
			Tiers: map[slaq.Tier]slaq.TierConfig{
				slaq.Critical: {Workers: 4, Reserve: 2}, slaq.High: {Workers: 1, Reserve: 1},
				slaq.Medium: {Workers: 1, Reserve: 1}, slaq.Low: {Workers: 1}, slaq.Batch: {Workers: 1, MaxWorkers: 1},
			}})
		enqueueN(t, c, "hold", slaq.Low, 20)
		// LOW's own worker plus the 2 CRITICAL workers above the reserve.
		g.expectEntered(t, 3)
		select {
		case id := <-g.entered:
			t.Fatalf("a fourth LOW job (%s) started: the reserve was lent", id)
		case <-time.After(200 * time.Millisecond):
		}
		m, _ := c.Metrics(context.Background())
		if m["LOW"].Running != 3 || m["CRITICAL"].Busy != 2 {
			t.Fatalf("LOW running %d (want 3), CRITICAL busy %d (want 2)", m["LOW"].Running, m["CRITICAL"].Busy)
		}
		for range 2 {
			if _, err := c.Enqueue(context.Background(), "otp", nil, slaq.WithTier(slaq.Critical)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 10*time.Second, "CRITICAL to run on its reserve", func() bool { return critical.Load() == 2 })
	})
}

// A tier-wide Cap bounds how many of the tier's jobs run at once across every process, below
// the tier's workers; a place freed by a finished job is refilled without waiting for the idle
// check (set here far beyond the test's deadline).
func TestTierCapRefillsOnCompletion(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		var running, peak, done atomic.Int32
		mux := slaq.NewServeMux()
		mux.HandleFunc("sync_wallet", func(ctx context.Context, j *slaq.Job) error {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(5 * time.Millisecond) // the job's work
			running.Add(-1)
			done.Add(1)
			return nil
		})
		c := newClient(t, open(t), slaq.Config{Handler: mux, IdleWait: time.Hour,
			Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Medium: {Workers: 10, Cap: 2}}})
		enqueueN(t, c, "sync_wallet", slaq.Medium, 12)
		waitFor(t, 10*time.Second, "every capped job to run", func() bool { return done.Load() == 12 })
		if p := peak.Load(); p != 2 {
			t.Fatalf("peak concurrency %d, want the cap of 2", p)
		}
	})
}
