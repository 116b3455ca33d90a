package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// deleteFailed runs DeleteFailed and fails the test on error.
func deleteFailed(t *testing.T, s store.Store, tier store.Tier, ids ...string) []string {
	t.Helper()
	got, err := s.DeleteFailed(t.Context(), tier, ids)
	if err != nil {
		t.Fatalf("DeleteFailed: %v", err)
	}
	return got
}

// wantStrings fails the test unless got equals want, in order.
func wantStrings(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// runDeadLetter checks Failed and DeleteFailed: what they read and delete, and that each
// failed job is deleted, and its id returned, exactly once.
func runDeadLetter(t *testing.T, open func(t *testing.T) store.Store) {
	const tier = store.Medium

	t.Run("FailedOldestFirst", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		f := finish(t, s, tier, store.AckFail, 0, Base+300, Base+100, Base+200)
		finish(t, s, tier, store.AckComplete, 3_600_000, Base+50) // completed: not listed
		finish(t, s, store.Low, store.AckFail, 0, Base+50)        // another tier: not listed
		enqueue(t, s, Base, newJob(tier, Base))                   // waiting: not listed
		got := clone(f[1])
		got.State, got.Attempts, got.FinishedAt, got.LastError = store.StateFailed, 1, Base+100, "finished by the test"
		got.StartedAt, got.LeaseUntil = Base, get(t, s, got.ID).LeaseUntil // a finished job's lease is not specified
		wantJob(t, s, got)
		for _, tc := range []struct {
			limit int
			want  []*store.Job
		}{{10, []*store.Job{f[1], f[2], f[0]}}, {2, []*store.Job{f[1], f[2]}}, {1, []*store.Job{f[1]}}} {
			failed, err := s.Failed(t.Context(), tier, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, fmt.Sprintf("Failed(limit %d)", tc.limit), failed, tc.want...)
			for _, j := range failed {
				if d := jobDiff(get(t, s, j.ID), j); d != nil {
					t.Fatalf("Failed record differs from Get: %v", d)
				}
			}
		}
		if other, err := s.Failed(t.Context(), store.High, 10); err != nil || len(other) != 0 {
			t.Fatalf("Failed(a tier without failed jobs) = %v, %v; want none", ids(other), err)
		}
	})

	t.Run("DeleteFailedReturnsDeleted", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		f := finish(t, s, tier, store.AckFail, 0, Base+100, Base+200, Base+300)
		done := finish(t, s, tier, store.AckComplete, 3_600_000, Base+400)[0]
		otherTier := finish(t, s, store.Low, store.AckFail, 0, Base+100)[0]
		waiting := newJob(tier, Base)
		enqueue(t, s, Base, waiting)
		keep := []*store.Job{get(t, s, f[1].ID), get(t, s, done.ID), get(t, s, otherTier.ID), get(t, s, waiting.ID)}
		got := deleteFailed(t, s, tier, f[2].ID, waiting.ID, store.NewID(tier, Base), done.ID, otherTier.ID, f[0].ID, "", "9XYZ")
		wantStrings(t, "DeleteFailed", got, f[2].ID, f[0].ID) // in the order given
		wantGone(t, s, f[0].ID)
		wantGone(t, s, f[2].ID)
		wantUnchanged(t, s, keep...)
		left, err := s.Failed(t.Context(), tier, 10)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "Failed after DeleteFailed", left, f[1])
		wantCounts(t, s, tier, store.Counts{Waiting: 1, Completed: 1, Failed: 3}) // totals unchanged
		wantStrings(t, "DeleteFailed of nothing", deleteFailed(t, s, tier))
	})

	t.Run("DeleteFailedTwice", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		f := finish(t, s, tier, store.AckFail, 0, Base+100, Base+200)
		wantStrings(t, "first DeleteFailed", deleteFailed(t, s, tier, f[0].ID, f[1].ID), f[0].ID, f[1].ID)
		wantStrings(t, "second DeleteFailed", deleteFailed(t, s, tier, f[0].ID, f[1].ID))
	})

	t.Run("DeleteFailedConcurrentOnce", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		wantEachDeletedOnce(t, tier, failMany(t, s, tier, 40), s, s, s, s, s, s)
	})

	t.Run("DeleteFailedSparesReenqueued", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		f := finish(t, s, tier, store.AckFail, 0, Base+100)[0]
		// One mover deletes the job; a retry from the dead-letter queue enqueues it again;
		// a second mover, which read the job before, must not delete the new one.
		wantStrings(t, "first mover", deleteFailed(t, s, tier, f.ID), f.ID)
		again := clone(f)
		again.Attempts = 0
		if r := enqueueOne(t, s, Base+200, again); r != (store.EnqueueResult{ID: f.ID}) {
			t.Fatalf("re-enqueue after DeleteFailed = %+v; want stored", r)
		}
		wantStrings(t, "second mover", deleteFailed(t, s, tier, f.ID))
		if got := get(t, s, f.ID); got.State != store.StateWaiting {
			t.Fatalf("re-enqueued job is %s, want waiting", got.State)
		}
		wantCounts(t, s, tier, store.Counts{Waiting: 1, Failed: 1})
	})
}

// failMany stores n failed jobs of tier, finished at Base+1.. Base+n, and returns their ids.
func failMany(t *testing.T, s store.Store, tier store.Tier, n int) []string {
	t.Helper()
	at := make([]int64, n)
	for i := range at {
		at[i] = Base + 1 + int64(i)
	}
	return ids(finish(t, s, tier, store.AckFail, 0, at...))
}

// wantEachDeletedOnce calls DeleteFailed(tier, ids) from one goroutine per handle in handles,
// all at once, twice each, and fails the test unless every id is returned exactly once in all.
func wantEachDeletedOnce(t *testing.T, tier store.Tier, ids []string, handles ...store.Store) {
	t.Helper()
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
		errs = make(chan error, 2*len(handles))
	)
	start := make(chan struct{})
	for _, h := range handles {
		wg.Go(func() {
			<-start
			for range 2 {
				got, err := h.DeleteFailed(t.Context(), tier, ids)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, id := range got {
					seen[id]++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent DeleteFailed: %v", err)
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Fatalf("id %s returned %d times by concurrent DeleteFailed calls, want once", id, seen[id])
		}
	}
	if len(seen) != len(ids) {
		t.Fatalf("concurrent DeleteFailed returned %d distinct ids, want %d", len(seen), len(ids))
	}
}
