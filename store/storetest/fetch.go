package storetest

import (
	"sync"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// runFetch checks Fetch: order, limits, promotion of delayed jobs, pause, cap, isolation.
func runFetch(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("FIFO", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var jobs []*store.Job
		for i := range 5 { // one by one, at increasing times
			j := newJob(store.Critical, Base+int64(i))
			enqueue(t, s, Base+int64(i), j)
			jobs = append(jobs, j)
		}
		bulk := newJobs(5, store.Critical, Base+10)
		enqueue(t, s, Base+10, bulk...)
		jobs = append(jobs, bulk...)
		var got []*store.Job
		for len(got) < len(jobs) {
			r := fetch(t, s, store.Critical, 3, Base+20)
			if len(r.Jobs) == 0 {
				t.Fatalf("Fetch returned nothing after %d of %d jobs", len(got), len(jobs))
			}
			got = append(got, r.Jobs...)
		}
		wantIDs(t, "fetch order", got, jobs...)
	})

	t.Run("Limit", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJobs(10, store.High, Base)...)
		for _, tc := range []struct{ limit, want int }{{4, 4}, {1, 1}, {100, 5}, {3, 0}} {
			if n := len(fetch(t, s, store.High, tc.limit, Base).Jobs); n != tc.want {
				t.Fatalf("Fetch(Limit %d) claimed %d, want %d", tc.limit, n, tc.want)
			}
		}
		wantCounts(t, s, store.High, store.Counts{Active: 10})
	})

	t.Run("LimitBelowOne", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := newJob(store.High, Base)
		enqueue(t, s, Base, j, newJob(store.High, Base+10))
		for _, limit := range []int{0, -1} {
			r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: store.High, Limit: limit, Now: Base + 10, LeaseMs: DefaultLeaseMs})
			if err == nil {
				t.Fatalf("Fetch(Limit %d) = %d jobs, no error; want an error", limit, len(r.Jobs))
			}
		}
		wantCounts(t, s, store.High, store.Counts{Waiting: 1, Delayed: 1})
		wantIDs(t, "a valid fetch afterwards", fetch(t, s, store.High, 1, Base).Jobs, j)
	})

	t.Run("ClaimSetsLease", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := newJob(store.Medium, Base)
		enqueue(t, s, Base, j)
		now, lease := Base+250, int64(7_000)
		r := fetchReq(t, s, store.FetchRequest{Tier: store.Medium, Limit: 5, Now: now, LeaseMs: lease, Owner: "host-1"})
		if len(r.Jobs) != 1 {
			t.Fatalf("claimed %d jobs, want 1", len(r.Jobs))
		}
		want := clone(j)
		want.State, want.StartedAt, want.LeaseUntil = store.StateActive, now, now+lease
		if d := jobDiff(want, r.Jobs[0]); d != nil {
			t.Fatalf("claimed job differs: %v", d)
		}
		wantJob(t, s, want)
		if r.Paused || r.NextRunAt != 0 {
			t.Fatalf("result Paused=%v NextRunAt=%d, want false, 0", r.Paused, r.NextRunAt)
		}
	})

	t.Run("DelayedPromotedWhenDue", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		d1, d2, d3 := newJob(store.Low, Base+300), newJob(store.Low, Base+100), newJob(store.Low, Base+200)
		enqueue(t, s, Base, d1, d2, d3)
		steps := []struct {
			now      int64
			want     []*store.Job
			nextRun  int64
			counts   store.Counts
			describe string
		}{
			{Base, nil, Base + 100, store.Counts{Delayed: 3}, "none due"},
			{Base + 99, nil, Base + 100, store.Counts{Delayed: 3}, "1 ms early"},
			{Base + 100, []*store.Job{d2}, Base + 200, store.Counts{Active: 1, Delayed: 2}, "RunAt == Now"},
			{Base + 1_000, []*store.Job{d3, d1}, 0, store.Counts{Active: 3}, "all due, earliest first"},
		}
		for _, st := range steps {
			r := fetch(t, s, store.Low, 10, st.now)
			wantIDs(t, st.describe, r.Jobs, st.want...)
			if r.NextRunAt != st.nextRun {
				t.Fatalf("%s: NextRunAt %d, want %d", st.describe, r.NextRunAt, st.nextRun)
			}
			wantCounts(t, s, store.Low, st.counts)
		}
	})

	t.Run("NextRunAtWithLimitReached", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJobs(3, store.Low, Base)...)
		enqueue(t, s, Base, newJob(store.Low, Base+500), newJob(store.Low, Base+50))
		r := fetch(t, s, store.Low, 1, Base)
		if len(r.Jobs) != 1 || r.NextRunAt != Base+50 {
			t.Fatalf("claimed %d, NextRunAt %d; want 1, %d", len(r.Jobs), r.NextRunAt, Base+50)
		}
	})

	t.Run("PauseAndResume", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJobs(2, store.Batch, Base)...)
		if err := s.SetPaused(t.Context(), store.Batch, true); err != nil {
			t.Fatal(err)
		}
		enqueue(t, s, Base, newJob(store.Batch, Base)) // a paused tier still accepts enqueues
		wantCounts(t, s, store.Batch, store.Counts{Waiting: 3, Paused: true})
		if r := fetch(t, s, store.Batch, 10, Base+1); !r.Paused || len(r.Jobs) != 0 {
			t.Fatalf("paused tier: Paused=%v, %d jobs; want Paused, none", r.Paused, len(r.Jobs))
		}
		other := newJob(store.Low, Base)
		enqueue(t, s, Base, other)
		if r := fetch(t, s, store.Low, 10, Base+1); r.Paused || len(r.Jobs) != 1 {
			t.Fatalf("other tier: Paused=%v, %d jobs; want not paused, 1", r.Paused, len(r.Jobs))
		}
		if err := s.SetPaused(t.Context(), store.Batch, false); err != nil {
			t.Fatal(err)
		}
		if r := fetch(t, s, store.Batch, 10, Base+2); r.Paused || len(r.Jobs) != 3 {
			t.Fatalf("resumed tier: Paused=%v, %d jobs; want not paused, 3", r.Paused, len(r.Jobs))
		}
		wantCounts(t, s, store.Batch, store.Counts{Active: 3})
	})

	t.Run("Cap", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJobs(10, store.Batch, Base)...)
		capped := func(limit int) []*store.Job {
			return fetchReq(t, s, store.FetchRequest{Tier: store.Batch, Limit: limit, Now: Base, LeaseMs: DefaultLeaseMs, Cap: 3}).Jobs
		}
		first := capped(2)
		if len(first) != 2 {
			t.Fatalf("first fetch claimed %d, want 2", len(first))
		}
		if n := len(capped(10)); n != 1 {
			t.Fatalf("second fetch claimed %d, want 1 (cap 3 across calls)", n)
		}
		if n := len(capped(10)); n != 0 {
			t.Fatalf("at the cap: claimed %d, want 0", n)
		}
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: first[0].ID, Now: Base + 1})
		if n := len(capped(10)); n != 1 {
			t.Fatalf("after one completion: claimed %d, want 1", n)
		}
		wantCounts(t, s, store.Batch, store.Counts{Waiting: 6, Active: 3, Completed: 1})
	})

	t.Run("TiersIndependent", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		crit, low := newJobs(3, store.Critical, Base), newJobs(4, store.Low, Base)
		enqueue(t, s, Base, append(append([]*store.Job{}, low[:2]...), crit...)...)
		enqueue(t, s, Base, low[2:]...)
		wantIDs(t, "tier 1", fetch(t, s, store.Critical, 100, Base).Jobs, crit...)
		wantIDs(t, "tier 2", fetch(t, s, store.High, 100, Base).Jobs)
		wantCounts(t, s, store.Low, store.Counts{Waiting: 4})
		wantIDs(t, "tier 4", fetch(t, s, store.Low, 100, Base).Jobs, low...)
		wantCounts(t, s, store.Critical, store.Counts{Active: 3})
	})

	t.Run("ConcurrentClaimsExactlyOnce", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const n, workers = 1_000, 8
		jobs := newJobs(n, store.High, Base)
		enqueue(t, s, Base, jobs...)
		var (
			mu      sync.Mutex
			claimed = map[string]int{}
			wg      sync.WaitGroup
			errs    = make(chan error, workers)
		)
		for range workers {
			wg.Go(func() {
				for {
					r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: store.High, Limit: 7, Now: Base, LeaseMs: DefaultLeaseMs})
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
			t.Fatalf("concurrent Fetch: %v", err)
		}
		if len(claimed) != n {
			t.Fatalf("%d distinct jobs claimed, want %d", len(claimed), n)
		}
		for _, j := range jobs {
			if c := claimed[j.ID]; c != 1 {
				t.Fatalf("job %s claimed %d times, want once", j.ID, c)
			}
		}
		wantCounts(t, s, store.High, store.Counts{Active: n})
	})
}
