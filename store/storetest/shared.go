package storetest

import (
	"sync"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// RunShared runs the checks that need two handles on one backend, as two processes sharing a
// store would hold: open must return two stores that share one fresh, empty backend (e.g. two
// Opens of one new file, or two clients on one new key prefix), isolated from every other pair
// it returned, and arrange to close both when the test ends. A store whose backend cannot be
// shared does not call it.
func RunShared(t *testing.T, open func(t *testing.T) (a, b store.Store)) {
	t.Helper()
	t.Run("OnceAcrossHandles", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		runOnceShared(t, a, b)
	})

	t.Run("DeleteFailedExactlyOnce", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		const tier = store.Medium
		// Each id goes to exactly one mover, so each dead-letter hook fires once.
		wantEachDeletedOnce(t, tier, failMany(t, a, tier, 60), a, b, a, b)
	})

	t.Run("ClaimsExactlyOnce", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		const tier, n = store.High, 300
		jobs := newJobs(n, tier, Base)
		enqueue(t, a, Base, jobs...)
		var (
			mu      sync.Mutex
			claimed = map[string]int{}
			wg      sync.WaitGroup
			errs    = make(chan error, 4)
		)
		for _, s := range []store.Store{a, b, a, b} {
			wg.Go(func() {
				for {
					r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: 7, Now: Base, LeaseMs: DefaultLeaseMs})
					if err != nil {
						errs <- err
						return
					}
					if len(r.Jobs) == 0 {
						return
					}
					mu.Lock()
					for _, j := range r.Jobs {
						claimed[j.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("Fetch: %v", err)
		}
		for _, j := range jobs {
			if claimed[j.ID] != 1 {
				t.Fatalf("job %s claimed %d times across two handles, want once", j.ID, claimed[j.ID])
			}
		}
		wantCounts(t, b, tier, store.Counts{Active: n})
	})

	t.Run("CapAcrossHandles", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		const tier = store.Batch
		enqueue(t, a, Base, newJobs(5, tier, Base)...)
		req := store.FetchRequest{Tier: tier, Limit: 10, Now: Base, LeaseMs: DefaultLeaseMs, Cap: 2}
		first := fetchReq(t, a, req).Jobs
		if len(first) != 2 {
			t.Fatalf("first handle claimed %d under Cap 2, want 2", len(first))
		}
		if n := len(fetchReq(t, b, req).Jobs); n != 0 {
			t.Fatalf("second handle claimed %d with the cap reached by the first, want 0", n)
		}
		ack(t, a, store.Ack{Kind: store.AckComplete, ID: first[0].ID, Now: Base + 1})
		if n := len(fetchReq(t, b, req).Jobs); n != 1 {
			t.Fatalf("second handle claimed %d after a place freed, want 1", n)
		}
	})

	t.Run("IdempotentAcrossHandles", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		const tier = store.High
		j := keyed(tier, "charge:9", Base)
		enqueue(t, a, Base, j)
		if r := enqueueOne(t, b, Base+1, clone(j)); r != (store.EnqueueResult{ID: j.ID, Duplicate: true}) {
			t.Fatalf("the same id through the second handle = %+v; want Duplicate", r)
		}
		wantHeld(t, b, tier, "charge:9", Base+2, j)
		if err := b.Cancel(t.Context(), j.ID); err != nil {
			t.Fatalf("Cancel through the second handle: %v", err)
		}
		wantGone(t, a, j.ID)
		wantFree(t, a, tier, "charge:9", Base+3)
	})
}
