package maint

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

const t0 int64 = 1_800_000_000_000

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "slaq.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// addActive stores a job of tier and claims it with a lease of leaseMs at t0.
func addActive(t *testing.T, st store.Store, tier store.Tier, leaseMs int64) *store.Job {
	t.Helper()
	ctx := context.Background()
	j := &store.Job{ID: store.NewID(tier, t0), Type: "t", Tier: tier, Payload: []byte(`{}`), State: store.StateWaiting,
		MaxAttempts: 3, TimeoutMs: 1000, RunAt: t0, CreatedAt: t0}
	if _, err := st.Enqueue(ctx, t0, []*store.Job{j}); err != nil {
		t.Fatal(err)
	}
	res, err := st.Fetch(ctx, store.FetchRequest{Tier: tier, Limit: 1, Now: t0, LeaseMs: leaseMs})
	if err != nil || len(res.Jobs) != 1 {
		t.Fatalf("fetch: %+v, %v", res, err)
	}
	return j
}

// Each tier is rescued on its own cadence, driven by the injected clock: advancing past
// CRITICAL's interval rescues CRITICAL and leaves BATCH, whose interval is longer, alone.
func TestRescuerPerTierCadence(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clock := service.NewFakeClock(time.UnixMilli(t0))
	crit := addActive(t, st, store.Critical, 1000)
	batch := addActive(t, st, store.Batch, 1000)
	var every [numTiers]time.Duration
	every[store.Critical.Index()], every[store.Batch.Index()] = 2*time.Second, time.Minute
	r := NewRescuer(RescuerConfig{Store: st, Clock: clock, Logger: slog.Default(), Every: every})
	r.Rescued.Init()
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	for range numTiers { // the start-up pass: nothing has lapsed yet at t0
		if res, err := r.Rescued.Wait(5 * time.Second); err != nil || res.Moved != 0 {
			t.Fatalf("start-up pass: %+v, %v", res, err)
		}
	}
	waitTimers(t, clock, 2)
	clock.Advance(2 * time.Second) // both leases lapsed; only CRITICAL's timer fires
	res, err := r.Rescued.Wait(5 * time.Second)
	if err != nil || res.Tier != store.Critical || res.Moved != 1 {
		t.Fatalf("after 2 s: %+v, %v; want CRITICAL rescued", res, err)
	}
	if j, _ := st.Get(context.Background(), batch.ID); j.State != store.StateActive {
		t.Fatalf("BATCH job %s rescued before its interval", j.State)
	}
	if j, _ := st.Get(context.Background(), crit.ID); j.State != store.StateWaiting {
		t.Fatalf("CRITICAL job %s, want waiting", j.State)
	}
}

// waitTimers waits until the clock has n armed timers (the loops are waiting on them).
func waitTimers(t *testing.T, clock *service.FakeClock, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for clock.Timers() < n {
		select {
		case <-clock.TimerMade():
		case <-deadline:
			t.Fatalf("only %d of %d timers armed", clock.Timers(), n)
		}
	}
}

// The cleaner deletes in bounded batches and counts what it deleted.
func TestCleanerBatches(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	ctx := context.Background()
	var jobs []*store.Job
	for range 25 {
		jobs = append(jobs, &store.Job{ID: store.NewID(store.Low, t0), Type: "t", Tier: store.Low, Payload: []byte(`{}`),
			State: store.StateWaiting, MaxAttempts: 1, TimeoutMs: 1000, RunAt: t0, CreatedAt: t0, RetainMs: 1000})
	}
	if _, err := st.Enqueue(ctx, t0, jobs); err != nil {
		t.Fatal(err)
	}
	res, err := st.Fetch(ctx, store.FetchRequest{Tier: store.Low, Limit: 25, Now: t0, LeaseMs: 60000})
	if err != nil || len(res.Jobs) != 25 {
		t.Fatalf("fetch: %d, %v", len(res.Jobs), err)
	}
	var acks []store.Ack
	for _, j := range res.Jobs {
		acks = append(acks, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: t0})
	}
	if err := st.Ack(ctx, acks); err != nil {
		t.Fatal(err)
	}
	clock := service.NewFakeClock(time.UnixMilli(t0 + 5000))
	c := NewCleaner(CleanerConfig{Store: st, Clock: clock, Logger: slog.Default(), Every: time.Minute, Batch: 10, MaxBatches: 2})
	c.Cleaned.Init()
	c.Round(ctx)
	if got, _ := c.Cleaned.Wait(time.Second); got.Completed != 20 {
		t.Fatalf("first round deleted %d, want 20 (2 batches of 10)", got.Completed)
	}
	c.Round(ctx)
	if got, _ := c.Cleaned.Wait(time.Second); got.Completed != 5 {
		t.Fatalf("second round deleted %d, want the last 5", got.Completed)
	}
	if d := c.Deleted(); d.Completed != 25 {
		t.Fatalf("counted %d deletions, want 25", d.Completed)
	}
}
