package storetest

import (
	"testing"

	"github.com/slaqhq/slaq/store"
)

// clean runs Clean and fails the test on error.
func clean(t *testing.T, s store.Store, req store.CleanRequest) store.CleanResult {
	t.Helper()
	r, err := s.Clean(t.Context(), req)
	if err != nil {
		t.Fatalf("Clean(%+v): %v", req, err)
	}
	return r
}

// runClean checks Clean: completed jobs by age and by count, failed jobs by age and by
// count, the bound on one call's deletions, and that totals and live jobs survive it.
func runClean(t *testing.T, open func(t *testing.T) store.Store) {
	const tier = store.Low
	// live stores a waiting, a delayed and an active job of tier, which Clean never deletes.
	live := func(t *testing.T, s store.Store) []*store.Job {
		t.Helper()
		active, waiting, delayed := newJob(tier, Base), newJob(tier, Base), newJob(tier, Base+60_000)
		enqueue(t, s, Base, active)
		wantIDs(t, "claim", fetch(t, s, tier, 1, Base).Jobs, active)
		enqueue(t, s, Base, waiting, delayed)
		return []*store.Job{get(t, s, active.ID), get(t, s, waiting.ID), get(t, s, delayed.ID)}
	}
	liveCounts := store.Counts{Waiting: 1, Active: 1, Delayed: 1}

	t.Run("CompletedByAge", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		jobs := finish(t, s, tier, store.AckComplete, 1_000, Base+100, Base+200, Base+300)
		keep := live(t, s)
		req := store.CleanRequest{Tier: tier, Limit: 100}
		steps := []struct {
			now  int64
			tier store.Tier
			want store.CleanResult
		}{
			{Base + 1_099, tier, store.CleanResult{}},               // none expired yet
			{Base + 9_999, store.High, store.CleanResult{}},         // another tier
			{Base + 1_200, tier, store.CleanResult{Completed: 2}},   // FinishedAt+RetainMs <= Now, boundary included
			{Base + 1_200, tier, store.CleanResult{}},               // nothing left to do
			{Base + 999_999, tier, store.CleanResult{Completed: 1}}, // the last
		}
		for i, st := range steps {
			req.Now, req.Tier = st.now, st.tier
			if r := clean(t, s, req); r != st.want {
				t.Fatalf("step %d: Clean at +%d ms of %s = %+v, want %+v", i, st.now-Base, st.tier, r, st.want)
			}
			if i == 2 {
				wantGone(t, s, jobs[0].ID)
				wantGone(t, s, jobs[1].ID)
				get(t, s, jobs[2].ID)
			}
		}
		wantGone(t, s, jobs[2].ID)
		wantUnchanged(t, s, keep...)
		liveCounts := liveCounts
		liveCounts.Completed = 3
		wantCounts(t, s, tier, liveCounts)
	})

	t.Run("CompletedByCount", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		jobs := finish(t, s, tier, store.AckComplete, 3_600_000, Base+500, Base+100, Base+400, Base+200, Base+300)
		failed := finish(t, s, tier, store.AckFail, 0, Base+50)[0]
		keep := append(live(t, s), get(t, s, failed.ID))
		req := store.CleanRequest{Tier: tier, Now: Base + 1_000, Limit: 100}
		if r := clean(t, s, req); r != (store.CleanResult{}) { // KeepCompleted 0: no count limit
			t.Fatalf("Clean without limits = %+v, want nothing deleted", r)
		}
		req.KeepCompleted = 2
		if r := clean(t, s, req); r != (store.CleanResult{Completed: 3}) {
			t.Fatalf("Clean(KeepCompleted 2) = %+v, want 3 completed deleted", r)
		}
		for _, i := range []int{1, 3, 4} {
			wantGone(t, s, jobs[i].ID)
		}
		get(t, s, jobs[0].ID) // finished last
		get(t, s, jobs[2].ID) // finished second to last
		wantUnchanged(t, s, keep...)
		req.KeepCompleted = 1
		if r := clean(t, s, req); r != (store.CleanResult{Completed: 1}) {
			t.Fatalf("Clean(KeepCompleted 1) = %+v, want 1 completed deleted", r)
		}
		get(t, s, jobs[0].ID)
		liveCounts := liveCounts
		liveCounts.Completed, liveCounts.Failed = 5, 1
		wantCounts(t, s, tier, liveCounts)
	})

	t.Run("FailedByAge", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		f := finish(t, s, tier, store.AckFail, 0, Base+100, Base+200, Base+300)
		done := finish(t, s, tier, store.AckComplete, 3_600_000, Base+50)[0]
		keep := append(live(t, s), get(t, s, done.ID))
		steps := []struct {
			now, retain int64
			want        store.CleanResult
		}{
			{Base + 999_999, 0, store.CleanResult{}},            // FailedRetainMs 0: not by age
			{Base + 999_999, -1, store.CleanResult{}},           // negative: not by age
			{Base + 1_099, 1_000, store.CleanResult{}},          // none old enough
			{Base + 1_200, 1_000, store.CleanResult{Failed: 2}}, // FinishedAt+FailedRetainMs <= Now
		}
		for i, st := range steps {
			r := clean(t, s, store.CleanRequest{Tier: tier, Now: st.now, FailedRetainMs: st.retain, Limit: 100})
			if r != st.want {
				t.Fatalf("step %d: Clean at +%d ms, FailedRetainMs %d = %+v, want %+v", i, st.now-Base, st.retain, r, st.want)
			}
		}
		wantGone(t, s, f[0].ID)
		wantGone(t, s, f[1].ID)
		get(t, s, f[2].ID)
		wantUnchanged(t, s, keep...)
		liveCounts := liveCounts
		liveCounts.Completed, liveCounts.Failed = 1, 3
		wantCounts(t, s, tier, liveCounts)
	})

	t.Run("FailedByCount", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		f := finish(t, s, tier, store.AckFail, 0, Base+500, Base+100, Base+400, Base+200, Base+300)
		keep := live(t, s)
		req := store.CleanRequest{Tier: tier, Now: Base + 1_000, Limit: 100}
		if r := clean(t, s, req); r != (store.CleanResult{}) { // KeepFailed 0: no count limit
			t.Fatalf("Clean without limits = %+v, want nothing deleted", r)
		}
		req.KeepFailed = 2
		if r := clean(t, s, req); r != (store.CleanResult{Failed: 3}) {
			t.Fatalf("Clean(KeepFailed 2) = %+v, want 3 failed deleted", r)
		}
		for _, i := range []int{1, 3, 4} {
			wantGone(t, s, f[i].ID)
		}
		get(t, s, f[0].ID)
		get(t, s, f[2].ID)
		left, err := s.Failed(t.Context(), tier, 10)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "Failed after Clean", left, f[2], f[0])
		wantUnchanged(t, s, keep...)
		liveCounts := liveCounts
		liveCounts.Failed = 5
		wantCounts(t, s, tier, liveCounts)
	})

	t.Run("LimitPerKind", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		at := []int64{Base + 100, Base + 200, Base + 300, Base + 400, Base + 500}
		done := finish(t, s, tier, store.AckComplete, 1, at...)
		f := finish(t, s, tier, store.AckFail, 0, at...)
		req := store.CleanRequest{Tier: tier, Now: Base + 10_000, FailedRetainMs: 1, Limit: 2}
		for i, want := range []store.CleanResult{{Completed: 2, Failed: 2}, {Completed: 2, Failed: 2}, {Completed: 1, Failed: 1}, {Completed: 0, Failed: 0}} {
			if r := clean(t, s, req); r != want {
				t.Fatalf("call %d with Limit 2: %+v, want %+v", i+1, r, want)
			}
		}
		for _, j := range append(done, f...) {
			wantGone(t, s, j.ID)
		}
		wantCounts(t, s, tier, store.Counts{Completed: 5, Failed: 5})
	})

	t.Run("LimitWithKeep", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		at := []int64{Base + 100, Base + 200, Base + 300, Base + 400, Base + 500, Base + 600}
		done := finish(t, s, tier, store.AckComplete, 3_600_000, at...)
		f := finish(t, s, tier, store.AckFail, 0, at...)
		req := store.CleanRequest{Tier: tier, Now: Base + 1_000, KeepCompleted: 2, KeepFailed: 1, Limit: 3}
		for i, want := range []store.CleanResult{{Completed: 3, Failed: 3}, {Completed: 1, Failed: 2}, {Completed: 0, Failed: 0}} {
			if r := clean(t, s, req); r != want {
				t.Fatalf("call %d with Limit 3: %+v, want %+v", i+1, r, want)
			}
			// Whichever go first, the newest are kept.
			get(t, s, done[4].ID)
			get(t, s, done[5].ID)
			get(t, s, f[5].ID)
		}
		wantCounts(t, s, tier, store.Counts{Completed: 6, Failed: 6})
	})

	t.Run("LimitBelowOne", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		jobs := finish(t, s, tier, store.AckComplete, 1, Base+100)
		for _, limit := range []int{0, -1} {
			if r, err := s.Clean(t.Context(), store.CleanRequest{Tier: tier, Now: Base + 10_000, Limit: limit}); err == nil {
				t.Fatalf("Clean(Limit %d) = %+v, no error; want an error", limit, r)
			}
		}
		get(t, s, jobs[0].ID)
	})
}
