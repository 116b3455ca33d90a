package storetest

import (
	"fmt"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// maxListLimit is the largest ListRequest.Limit the contract allows.
const maxListLimit = 1_000

// listPage runs one List and fails the test on error.
func listPage(t *testing.T, s store.Store, req store.ListRequest) store.ListPage {
	t.Helper()
	p, err := s.List(t.Context(), req)
	if err != nil {
		t.Fatalf("List(%+v): %v", req, err)
	}
	return p
}

// listAll pages through tier's jobs in state, limit at a time, and returns them in order.
// It fails the test unless every page but the last holds jobs and has a cursor, no page holds
// more than limit, and the last page (the one holding the last job) has Next "".
func listAll(t *testing.T, s store.Store, tier store.Tier, state store.State, limit, want int) []*store.Job {
	t.Helper()
	var all []*store.Job
	req := store.ListRequest{Tier: tier, State: state, Limit: limit}
	for pages := 1; ; pages++ {
		p := listPage(t, s, req)
		if len(p.Jobs) > limit {
			t.Fatalf("List(%s, Limit %d) page %d holds %d jobs", state, limit, pages, len(p.Jobs))
		}
		all = append(all, p.Jobs...)
		if p.Next == "" {
			if len(all) != want {
				t.Fatalf("List(%s, Limit %d): %d jobs in %d pages, then Next \"\"; want %d jobs", state, limit, len(all), pages, want)
			}
			return all
		}
		if len(p.Jobs) == 0 || len(all) >= want {
			t.Fatalf("List(%s, Limit %d) page %d: %d jobs (%d so far of %d) and Next %q; want Next \"\" on the page holding the last job",
				state, limit, pages, len(p.Jobs), len(all), want, p.Next)
		}
		req.Cursor = p.Next
	}
}

// runList checks List: every state in its order, full records, paging with cursors, the
// Limit bounds, and empty tiers.
func runList(t *testing.T, open func(t *testing.T) store.Store) {
	const tier = store.Medium
	// Each state's setup stores five jobs of tr in that state and returns them in the
	// state's listing order.
	states := []struct {
		state store.State
		setup func(t *testing.T, s store.Store, tr store.Tier) []*store.Job
	}{
		{store.StateWaiting, func(t *testing.T, s store.Store, tr store.Tier) []*store.Job {
			// Pickup order: a was released (ahead of jobs runnable after it), e rescued (runnable
			// again when rescued), f enqueued last.
			a, e := newJob(tr, Base), newJob(tr, Base+1)
			enqueue(t, s, Base, a)
			wantIDs(t, "claim a", fetch(t, s, tr, 1, Base).Jobs, a)
			enqueue(t, s, Base+1, e)
			wantIDs(t, "claim e", fetchReq(t, s, store.FetchRequest{Tier: tr, Limit: 1, Now: Base + 1, LeaseMs: 10}).Jobs, e)
			b, c := newJob(tr, Base+5), newJob(tr, Base+5)
			enqueue(t, s, Base+5, b, c)
			ack(t, s, store.Ack{Kind: store.AckRelease, ID: a.ID, Now: Base + 10})
			if n, err := s.Rescue(t.Context(), tr, Base+20); err != nil || n != 1 {
				t.Fatalf("Rescue = %d, %v; want 1", n, err)
			}
			f := newJob(tr, Base+30)
			enqueue(t, s, Base+30, f)
			return []*store.Job{a, b, c, e, f}
		}},
		{store.StateDelayed, func(t *testing.T, s store.Store, tr store.Tier) []*store.Job {
			jobs := make([]*store.Job, 5)
			for i, at := range []int64{3_000, 1_000, 5_000, 2_000, 4_000} {
				jobs[i] = newJob(tr, Base+at)
			}
			enqueue(t, s, Base, jobs...)
			return []*store.Job{jobs[1], jobs[3], jobs[0], jobs[4], jobs[2]}
		}},
		{store.StateActive, func(t *testing.T, s store.Store, tr store.Tier) []*store.Job {
			jobs := newJobs(5, tr, Base)
			enqueue(t, s, Base, jobs...)
			for i, lease := range []int64{5_000, 1_000, 3_000, 2_000, 4_000} {
				r := fetchReq(t, s, store.FetchRequest{Tier: tr, Limit: 1, Now: Base + int64(i), LeaseMs: lease})
				wantIDs(t, "claim", r.Jobs, jobs[i])
			}
			// Leases end at +5000, +1001, +3002, +2003, +4004; the first is renewed to end first.
			if err := s.ExtendLeases(t.Context(), tr, []string{jobs[0].ID}, Base+500); err != nil {
				t.Fatal(err)
			}
			return []*store.Job{jobs[0], jobs[1], jobs[3], jobs[2], jobs[4]}
		}},
		{store.StateCompleted, func(t *testing.T, s store.Store, tr store.Tier) []*store.Job {
			j := finish(t, s, tr, store.AckComplete, 3_600_000, Base+200, Base+500, Base+100, Base+400, Base+300)
			return []*store.Job{j[1], j[3], j[4], j[0], j[2]}
		}},
		{store.StateFailed, func(t *testing.T, s store.Store, tr store.Tier) []*store.Job {
			j := finish(t, s, tr, store.AckFail, 0, Base+200, Base+500, Base+100, Base+400, Base+300)
			return []*store.Job{j[1], j[3], j[4], j[0], j[2]}
		}},
	}
	for _, st := range states {
		t.Run(string(st.state), func(t *testing.T) {
			t.Parallel()
			s := open(t)
			st.setup(t, s, store.Low) // another tier's jobs, never listed
			want := st.setup(t, s, tier)
			got := listPage(t, s, store.ListRequest{Tier: tier, State: st.state, Limit: maxListLimit})
			wantIDs(t, fmt.Sprintf("List(%s)", st.state), got.Jobs, want...)
			if got.Next != "" {
				t.Fatalf("List(%s) holding every job: Next %q, want \"\"", st.state, got.Next)
			}
			for _, j := range got.Jobs {
				if j.State != st.state {
					t.Fatalf("List(%s) returned a job in state %s", st.state, j.State)
				}
				if d := jobDiff(get(t, s, j.ID), j); d != nil {
					t.Fatalf("List record of %s differs from Get: %v", j.ID, d)
				}
			}
			for _, limit := range []int{1, 2, 4, 5} {
				wantIDs(t, fmt.Sprintf("List(%s) by pages of %d", st.state, limit), listAll(t, s, tier, st.state, limit, len(want)), want...)
			}
			if st.state == store.StateWaiting { // the listing order is the pickup order
				wantIDs(t, "fetch after listing waiting jobs", fetch(t, s, tier, 10, Base+40).Jobs, want...)
			}
		})
	}

	t.Run("EmptyTier", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJob(store.Low, Base), newJob(store.Low, Base+60_000))
		for _, state := range []store.State{store.StateWaiting, store.StateDelayed, store.StateActive, store.StateCompleted, store.StateFailed} {
			p := listPage(t, s, store.ListRequest{Tier: tier, State: state, Limit: 10})
			if len(p.Jobs) != 0 || p.Next != "" {
				t.Fatalf("List(%s) of an empty tier = %d jobs, Next %q; want none, \"\"", state, len(p.Jobs), p.Next)
			}
		}
	})

	t.Run("LimitBounds", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJobs(3, tier, Base)...)
		for _, limit := range []int{0, -1, maxListLimit + 1} {
			if p, err := s.List(t.Context(), store.ListRequest{Tier: tier, State: store.StateWaiting, Limit: limit}); err == nil {
				t.Fatalf("List(Limit %d) = %d jobs, no error; want an error", limit, len(p.Jobs))
			}
		}
		for _, limit := range []int{1, maxListLimit} {
			if p := listPage(t, s, store.ListRequest{Tier: tier, State: store.StateWaiting, Limit: limit}); len(p.Jobs) != min(limit, 3) {
				t.Fatalf("List(Limit %d) = %d jobs, want %d", limit, len(p.Jobs), min(limit, 3))
			}
		}
	})
}
