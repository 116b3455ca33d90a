package slaq_test

import (
	"context"
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
