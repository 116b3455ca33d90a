package slaq_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"
)

// Stop lets a job that finishes within the grace period complete, and hands back one that
// does not, without spending an attempt.
func TestGracefulShutdownHandsBackUnfinishedJobs(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		st := open(t)
		quick, slow := newGate(), newGate()
		mux := slaq.NewServeMux()
		mux.HandleFunc("quick", func(ctx context.Context, j *slaq.Job) error { return quick.wait(ctx, j.ID) })
		mux.HandleFunc("slow", func(ctx context.Context, j *slaq.Job) error { return slow.wait(ctx, j.ID) })
		c, err := slaq.New(st, slaq.Config{Handler: mux, ShutdownGrace: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		qid, _ := c.Enqueue(ctx, "quick", nil, slaq.WithTier(slaq.High))
		sid, _ := c.Enqueue(ctx, "slow", nil, slaq.WithTier(slaq.High))
		quick.expectEntered(t, 1)
		slow.expectEntered(t, 1)
		stopped := make(chan error)
		go func() { stopped <- c.Stop(ctx) }()
		quick.release() // finishes within the grace period
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		q, err := st.Get(ctx, qid)
		if err != nil || q.State != store.StateCompleted {
			t.Fatalf("quick job: %+v, %v", q, err)
		}
		s, err := st.Get(ctx, sid)
		if err != nil || s.State != store.StateWaiting || s.Attempts != 0 {
			t.Fatalf("slow job after shutdown: %+v, %v; want waiting with 0 attempts", s, err)
		}
		// A new client picks it up.
		slow.release()
		c2 := newClient(t, st, slaq.Config{Handler: mux})
		waitState(t, c2, sid, store.StateCompleted)
	})
}

// A handler that ignores its context is abandoned one lease after its timeout: the attempt
// fails (here the last, so the job is dead-lettered), its worker is replaced, and its late
// outcome is dropped.
func TestStuckHandlerIsAbandoned(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		stuck := newGate()
		returned := make(chan struct{})
		mux := slaq.NewServeMux()
		mux.HandleFunc("stuck", func(ctx context.Context, j *slaq.Job) error {
			<-stuck.open // ignores ctx
			defer close(returned)
			return nil
		})
		mux.HandleFunc("noop", func(ctx context.Context, j *slaq.Job) error { return nil })
		c := newClient(t, open(t), slaq.Config{Handler: mux, NoUpwardHelp: true,
			Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Low: {Workers: 1, Lease: 150 * time.Millisecond}}})
		ctx := context.Background()
		id, err := c.Enqueue(ctx, "stuck", nil, slaq.WithTier(slaq.Low), slaq.Timeout(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		j := waitState(t, c, id, store.StateFailed)
		if j.Attempts != 1 || !strings.Contains(j.LastError, "abandoned") {
			t.Fatalf("abandoned job: attempts %d, error %q", j.Attempts, j.LastError)
		}
		// LOW's only worker is free again, though the stuck handler still runs.
		next, _ := c.Enqueue(ctx, "noop", nil, slaq.WithTier(slaq.Low))
		waitState(t, c, next, store.StateCompleted)
		stuck.release() // the late "success" must be dropped
		<-returned
		// Outcomes are recorded in order: once two later LOW jobs completed, a late outcome of
		// the stuck run, had it been sent, would have been recorded too.
		for range 2 {
			later, _ := c.Enqueue(ctx, "noop", nil, slaq.WithTier(slaq.Low))
			waitState(t, c, later, store.StateCompleted)
		}
		m, err := c.Metrics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m["LOW"].Completed != 3 || m["LOW"].Failed != 1 {
			t.Fatalf("LOW completed %d failed %d; want 3 and 1 (the stuck run's late success dropped)", m["LOW"].Completed, m["LOW"].Failed)
		}
		if j, err := c.Job(ctx, id); err != nil || j.State != store.StateFailed {
			t.Fatalf("abandoned job after its handler returned: %+v, %v; want still failed", j, err)
		}
	})
}
