package storetest

import (
	"testing"

	"github.com/slaqhq/slaq/store"
)

// runLeases checks ExtendLeases and Rescue.
func runLeases(t *testing.T, open func(t *testing.T) store.Store) {
	const tier = store.Critical
	t.Run("ExtendOnlyActive", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		active, waiting, otherTier := newJob(tier, Base), newJob(tier, Base), newJob(store.High, Base)
		enqueue(t, s, Base, active)
		fetch(t, s, tier, 1, Base)
		enqueue(t, s, Base, waiting, otherTier)
		fetch(t, s, store.High, 1, Base)
		until := Base + 99_000
		err := s.ExtendLeases(t.Context(), tier, []string{active.ID, waiting.ID, otherTier.ID, store.NewID(tier, Base)}, until)
		if err != nil {
			t.Fatal(err)
		}
		if got := get(t, s, active.ID).LeaseUntil; got != until {
			t.Fatalf("active job: LeaseUntil %d, want %d", got, until)
		}
		if got := get(t, s, waiting.ID); got.State != store.StateWaiting || got.LeaseUntil == until {
			t.Fatalf("waiting job: state %q LeaseUntil %d; want it untouched", got.State, got.LeaseUntil)
		}
		if got := get(t, s, otherTier.ID).LeaseUntil; got != Base+DefaultLeaseMs {
			t.Fatalf("job of another tier: LeaseUntil %d, want %d", got, Base+DefaultLeaseMs)
		}
	})

	t.Run("RescueExpiredOnly", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b, c := newJob(tier, Base), newJob(tier, Base), newJob(tier, Base)
		a.Attempts = 1
		enqueue(t, s, Base, a, b, c)
		fetchReq(t, s, store.FetchRequest{Tier: tier, Limit: 1, Now: Base, LeaseMs: 100})       // a: lease Base+100
		fetchReq(t, s, store.FetchRequest{Tier: tier, Limit: 1, Now: Base + 100, LeaseMs: 100}) // b: lease Base+200
		rescue := func(now int64) int {
			t.Helper()
			n, err := s.Rescue(t.Context(), tier, now)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := rescue(Base + 100); n != 0 {
			t.Fatalf("Rescue at a lease's exact end moved %d, want 0", n)
		}
		if n := rescue(Base + 150); n != 1 {
			t.Fatalf("Rescue moved %d, want 1", n)
		}
		got := get(t, s, a.ID)
		if got.State != store.StateWaiting || got.Attempts != 1 || got.RunAt != Base+150 {
			t.Fatalf("rescued job: state %q attempts %d runAt %d; want waiting, 1, %d", got.State, got.Attempts, got.RunAt, Base+150)
		}
		if got := get(t, s, b.ID).State; got != store.StateActive {
			t.Fatalf("job with a live lease: state %q, want active", got)
		}
		wantCounts(t, s, tier, store.Counts{Waiting: 2, Active: 1})
		if err := s.ExtendLeases(t.Context(), tier, []string{b.ID}, Base+1_000); err != nil {
			t.Fatal(err)
		}
		if n := rescue(Base + 500); n != 0 {
			t.Fatalf("Rescue after an extended lease's old end moved %d, want 0", n)
		}
		if n, err := s.Rescue(t.Context(), store.High, Base+10_000); err != nil || n != 0 {
			t.Fatalf("Rescue(other tier) = %d, %v; want 0", n, err)
		}
		// c became runnable at Base, before a's rescue at Base+150: it comes first.
		wantIDs(t, "first fetch after rescue", fetch(t, s, tier, 1, Base+200).Jobs, c)
		wantIDs(t, "second fetch after rescue", fetch(t, s, tier, 1, Base+200).Jobs, a)
	})
}
