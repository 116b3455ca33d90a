package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// runMisc checks Get of unknown ids, the counts of a new store, the pause flags, Ping, and
// that a closed store answers every call with ErrClosed.
func runMisc(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("GetUnknown", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJob(store.High, Base))
		for _, id := range []string{store.NewID(store.High, Base), store.NewID(store.Batch, Base), "", "9XYZ"} {
			wantGone(t, s, id)
		}
	})

	t.Run("NewStoreCountsZero", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for _, tier := range store.Tiers {
			wantCounts(t, s, tier, store.Counts{})
		}
	})

	t.Run("PausedFlagPerTier", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for _, step := range []struct {
			tier   store.Tier
			paused bool
		}{{store.Low, true}, {store.Low, true}, {store.High, true}, {store.High, false}, {store.High, false}} {
			if err := s.SetPaused(t.Context(), step.tier, step.paused); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.Counts(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, tier := range store.Tiers {
			if want := tier == store.Low; all[tier.Index()].Paused != want {
				t.Fatalf("%s: Paused %v, want %v", tier, all[tier.Index()].Paused, want)
			}
		}
	})

	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping of an open store: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		wantErrIs(t, "Ping after Close", s.Ping(t.Context()), store.ErrClosed)
	})

	t.Run("ClosedStore", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := newJob(store.High, Base)
		enqueue(t, s, Base, j)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		id := []string{j.ID}
		calls := []struct {
			name string
			call func(ctx context.Context) error
		}{
			{"Enqueue", func(ctx context.Context) error {
				_, err := s.Enqueue(ctx, Base, []*store.Job{newJob(store.High, Base)})
				return err
			}},
			{"Fetch", func(ctx context.Context) error {
				_, err := s.Fetch(ctx, store.FetchRequest{Tier: store.High, Limit: 1, Now: Base, LeaseMs: DefaultLeaseMs})
				return err
			}},
			{"Wait", func(ctx context.Context) error { return s.Wait(ctx, store.High, time.Millisecond) }},
			{"Ack", func(ctx context.Context) error {
				return s.Ack(ctx, []store.Ack{{Kind: store.AckComplete, ID: j.ID, Now: Base}})
			}},
			{"ExtendLeases", func(ctx context.Context) error { return s.ExtendLeases(ctx, store.High, id, Base) }},
			{"Rescue", func(ctx context.Context) error { _, err := s.Rescue(ctx, store.High, Base); return err }},
			{"Failed", func(ctx context.Context) error { _, err := s.Failed(ctx, store.High, 1); return err }},
			{"DeleteFailed", func(ctx context.Context) error { _, err := s.DeleteFailed(ctx, store.High, id); return err }},
			{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, j.ID); return err }},
			{"List", func(ctx context.Context) error {
				_, err := s.List(ctx, store.ListRequest{Tier: store.High, State: store.StateWaiting, Limit: 1})
				return err
			}},
			{"Cancel", func(ctx context.Context) error { return s.Cancel(ctx, j.ID) }},
			{"SetPaused", func(ctx context.Context) error { return s.SetPaused(ctx, store.High, true) }},
			{"Counts", func(ctx context.Context) error { _, err := s.Counts(ctx); return err }},
			{"Clean", func(ctx context.Context) error {
				_, err := s.Clean(ctx, store.CleanRequest{Tier: store.High, Now: Base, Limit: 1})
				return err
			}},
			{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
			{"Once", func(ctx context.Context) error { _, err := s.Once(ctx, "k", Base, 1000); return err }},
		}
		for _, c := range calls {
			wantErrIs(t, c.name+" after Close", c.call(t.Context()), store.ErrClosed)
		}
	})
}
