package storetest

import (
	"testing"

	"github.com/slaqhq/slaq/store"
)

// runMisc checks Get of unknown ids and the counts of a new store.
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
}
