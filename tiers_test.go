package slaq_test

import (
	"context"
	"encoding/json"
	"slices"
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
		producer := newClient(t, st, slaq.Config{Retention: slaq.None})
		enqueueN(t, producer, "export", slaq.Batch, 200)
		enqueueN(t, producer, "export", slaq.Low, 200)
		c := newClient(t, st, slaq.Config{Handler: mux, Retention: slaq.None})
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
		m, err := c.Metrics(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if m["HIGH"].Running != 2 || m["HIGH"].Busy != 1 {
			t.Fatalf("HIGH running %d on %d own busy workers; want 2 on 1", m["HIGH"].Running, m["HIGH"].Busy)
		}
		// Lent, not Busy: an idle tier's worker is busy for a moment while its fetcher looks
		// for work, and CRITICAL's may be mid-fetch now; Lent counts only the jobs of another
		// tier that a tier's workers run.
		helpers := m["MEDIUM"].Lent + m["LOW"].Lent + m["BATCH"].Lent
		if m["CRITICAL"].Lent != 0 || helpers == 0 {
			t.Fatalf("the helper must come from a less urgent tier, not CRITICAL: %+v", m)
		}
	})
}

// startWithSignals starts a client on st with cfg and the engine's test signals, and stops it
// when the test ends.
func startWithSignals(t *testing.T, st store.Store, cfg slaq.Config) *slaq.Client {
	t.Helper()
	c, err := slaq.New(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := slaq.StartWithSignals(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Stop(ctx)
	})
	return c
}

// expectNoMoreSlots waits until the fetcher of every tier not in busy has gone idle (so
// every idle worker is offered for help or lending) and then checks that no busy tier's
// fetcher can take a slot: none can start another job until something changes (an idle tier
// that is woken only takes its helpers back). This replaces a quiet window.
func expectNoMoreSlots(t *testing.T, c *slaq.Client, busy ...slaq.Tier) {
	t.Helper()
	var idle []slaq.Tier
	for _, tier := range slaq.Tiers {
		if !slices.Contains(busy, tier) {
			idle = append(idle, tier)
		}
	}
	if err := slaq.WaitFetchersIdle(c, idle, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, tier := range busy {
		if n := slaq.Grantable(c, tier); n != 0 {
			t.Fatalf("%s could take %d more slots with every other fetcher idle", tier, n)
		}
	}
}

// Without lending, a saturated LOW tier never borrows idle workers of more urgent tiers.
// (Upward help lets an idle BATCH worker run LOW jobs; BATCH is kept busy here.)
func TestNoDownwardSharingWithoutLending(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		g := newGate()
		defer g.release()
		mux := slaq.NewServeMux()
		mux.HandleFunc("hold", func(ctx context.Context, j *slaq.Job) error { return g.wait(ctx, j.ID) })
		st := open(t)
		producer := newClient(t, st, slaq.Config{})
		enqueueN(t, producer, "hold", slaq.Batch, 1) // BATCH is busy too, so it has no idle worker to help LOW
		enqueueN(t, producer, "hold", slaq.Low, 20)
		c := startWithSignals(t, st, slaq.Config{Handler: mux, NoLending: true,
			Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Low: {MaxWorkers: slaq.None}}})
		g.expectEntered(t, 3)
		expectNoMoreSlots(t, c, slaq.Low, slaq.Batch)
		if m, _ := c.Metrics(context.Background()); m["LOW"].Running != 2 {
			t.Fatalf("LOW running %d, want 2", m["LOW"].Running)
		}
	})
}

// By default LOW and BATCH run at most their own workers' worth of jobs, lending or not: one
// BATCH worker means backups never run two at a time.
func TestLowAndBatchWorkersAreCapsByDefault(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		g := newGate()
		defer g.release()
		mux := slaq.NewServeMux()
		mux.HandleFunc("hold", func(ctx context.Context, j *slaq.Job) error { return g.wait(ctx, j.ID) })
		mux.HandleFunc("quick", func(ctx context.Context, j *slaq.Job) error { return nil })
		st := open(t)
		c := startWithSignals(t, st, slaq.Config{Handler: mux})
		// Short runs first, so the lending rule would allow lending if the cap did not hold.
		for _, tier := range []slaq.Tier{slaq.Low, slaq.Batch} {
			for _, id := range enqueueN(t, c, "quick", tier, 3) {
				waitState(t, c, id, store.StateCompleted)
			}
		}
		enqueueN(t, c, "hold", slaq.Batch, 5)
		enqueueN(t, c, "hold", slaq.Low, 10)
		g.expectEntered(t, 3)
		expectNoMoreSlots(t, c, slaq.Low, slaq.Batch)
		m, _ := c.Metrics(context.Background())
		if m["BATCH"].Running != 1 || m["LOW"].Running != 2 {
			t.Fatalf("BATCH running %d (want 1), LOW running %d (want 2)", m["BATCH"].Running, m["LOW"].Running)
		}
	})
}

// With lending (the default), idle CRITICAL workers run LOW jobs whose runs are short, but
// Reserve of them stay idle, so CRITICAL work still starts at once.
func TestLendingKeepsReserve(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		g := newGate()
		defer g.release()
		var critical atomic.Int32
		mux := slaq.NewServeMux()
		mux.HandleFunc("hold", func(ctx context.Context, j *slaq.Job) error { return g.wait(ctx, j.ID) })
		mux.HandleFunc("quick", func(ctx context.Context, j *slaq.Job) error { return nil })
		mux.HandleFunc("otp", func(ctx context.Context, j *slaq.Job) error { critical.Add(1); return nil })
		c := startWithSignals(t, open(t), slaq.Config{Handler: mux, NoUpwardHelp: true,
			Tiers: map[slaq.Tier]slaq.TierConfig{
				slaq.Critical: {Workers: 4, Reserve: 2}, slaq.High: {Workers: 1, Reserve: 1},
				slaq.Medium: {Workers: 1, Reserve: 1}, slaq.Low: {Workers: 1, MaxWorkers: slaq.None}, slaq.Batch: {Workers: 1},
			}})
		for _, id := range enqueueN(t, c, "quick", slaq.Low, 2) { // LOW's recent runs are short
			waitState(t, c, id, store.StateCompleted)
		}
		enqueueN(t, c, "hold", slaq.Low, 20)
		// LOW's own worker plus the 2 CRITICAL workers above the reserve.
		g.expectEntered(t, 3)
		expectNoMoreSlots(t, c, slaq.Low)
		m, _ := c.Metrics(context.Background())
		if m["LOW"].Running != 3 || m["CRITICAL"].Busy != 2 || m["CRITICAL"].Lent != 2 {
			t.Fatalf("LOW running %d (want 3), CRITICAL busy %d lent %d (want 2, 2)", m["LOW"].Running, m["CRITICAL"].Busy, m["CRITICAL"].Lent)
		}
		for range 2 {
			if _, err := c.Enqueue(context.Background(), "otp", nil, slaq.WithTier(slaq.Critical)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 10*time.Second, "CRITICAL to run on its reserve", func() bool { return critical.Load() == 2 })
	})
}

// The lending rule: a storm of short HIGH jobs borrows CRITICAL's idle workers and drains;
// HIGH jobs that run for seconds never do, so a burst of 20 CRITICAL jobs then still starts
// within CRITICAL's SLA on its own workers.
func TestLendingFollowsRunTimes(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		t.Run("short runs borrow", func(t *testing.T) {
			t.Parallel()
			g := newGate()
			defer g.release()
			mux := slaq.NewServeMux()
			mux.HandleFunc("quick", func(ctx context.Context, j *slaq.Job) error { return nil })
			mux.HandleFunc("webhook", func(ctx context.Context, j *slaq.Job) error { return g.wait(ctx, j.ID) })
			c := startWithSignals(t, open(t), slaq.Config{Handler: mux, NoUpwardHelp: true})
			for _, id := range enqueueN(t, c, "quick", slaq.High, 3) {
				waitState(t, c, id, store.StateCompleted)
			}
			enqueueN(t, c, "webhook", slaq.High, 40)
			// HIGH's 10 workers, plus CRITICAL's 20 less its reserve of 4.
			g.expectEntered(t, 26)
			expectNoMoreSlots(t, c, slaq.High)
			if m, _ := c.Metrics(context.Background()); m["CRITICAL"].Lent != 16 {
				t.Fatalf("CRITICAL lent %d workers, want 16", m["CRITICAL"].Lent)
			}
		})
		t.Run("long runs do not", func(t *testing.T) {
			t.Parallel()
			g := newGate()
			defer g.release()
			var burst atomic.Int32
			var slowest atomic.Int64
			mux := slaq.NewServeMux()
			mux.HandleFunc("slow_gateway", func(ctx context.Context, j *slaq.Job) error {
				if j.Attempts == 0 && tierOf(t, j) == "warm" {
					time.Sleep(1100 * time.Millisecond) // the job's work: longer than CRITICAL's SLA
					return nil
				}
				return g.wait(ctx, j.ID)
			})
			mux.HandleFunc("otp", func(ctx context.Context, j *slaq.Job) error {
				if d := time.Since(time.UnixMilli(j.RunAt)); d.Milliseconds() > slowest.Load() {
					slowest.Store(d.Milliseconds())
				}
				burst.Add(1)
				return nil
			})
			c := startWithSignals(t, open(t), slaq.Config{Handler: mux, NoUpwardHelp: true})
			id, err := c.Enqueue(context.Background(), "slow_gateway", map[string]string{"q": "warm"}, slaq.WithTier(slaq.High))
			if err != nil {
				t.Fatal(err)
			}
			waitState(t, c, id, store.StateCompleted)
			enqueueN(t, c, "slow_gateway", slaq.High, 30)
			g.expectEntered(t, 10) // HIGH's own workers only
			expectNoMoreSlots(t, c, slaq.High)
			if m, _ := c.Metrics(context.Background()); m["CRITICAL"].Lent != 0 || m["HIGH"].Running != 10 {
				t.Fatalf("CRITICAL lent %d (want 0), HIGH running %d (want 10)", m["CRITICAL"].Lent, m["HIGH"].Running)
			}
			enqueueN(t, c, "otp", slaq.Critical, 20)
			waitFor(t, 10*time.Second, "the CRITICAL burst", func() bool { return burst.Load() == 20 })
			if s := slowest.Load(); s > 1000 {
				t.Fatalf("slowest CRITICAL pickup %d ms, over the 1 s SLA", s)
			}
		})
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
