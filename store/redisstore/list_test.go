package redisstore

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// listAll walks every page of req (Limit per page) and returns the ids in order.
func listAll(t *testing.T, s *Store, req store.ListRequest) []string {
	t.Helper()
	var ids []string
	for range 100 {
		p, err := s.List(t.Context(), req)
		if err != nil {
			t.Fatalf("List(%+v): %v", req, err)
		}
		if len(p.Jobs) > req.Limit {
			t.Fatalf("List returned %d jobs for Limit %d", len(p.Jobs), req.Limit)
		}
		for _, j := range p.Jobs {
			ids = append(ids, j.ID)
		}
		if p.Next == "" {
			return ids
		}
		req.Cursor = p.Next
	}
	t.Fatal("List never ended")
	return nil
}

// seedFinished seeds n jobs of tier in state letter ('c' or 'f') with FinishedAt taken from
// at, and returns their ids in the order List must give (most recently finished first, and
// among equal FinishedAt the larger id first, as a ZSET read backwards gives them).
func seedFinished(k *rawKit, letter string, zset string, at []int64) []string {
	k.t.Helper()
	type e struct {
		id string
		at int64
	}
	var es []e
	for i, f := range at {
		id := fmt.Sprintf("%dLIST%s%017d", k.tier, strings.ToUpper(letter), i)
		rec := fmt.Sprintf("%s||1000|1500|%d||5000|3|10000|2000|1000||4||||noop{}", letter, f)
		k.hset("j", id, rec)
		k.zadd(zset, fmt.Sprint(f), id)
		if letter == "c" {
			k.zadd("x", fmt.Sprint(f+5000), id)
		}
		es = append(es, e{id, f})
	}
	slices.SortFunc(es, func(a, b e) int {
		if a.at != b.at {
			return int(b.at - a.at)
		}
		return strings.Compare(b.id, a.id)
	})
	ids := make([]string, len(es))
	for i, x := range es {
		ids[i] = x.id
	}
	return ids
}

// TestListPagesWithTies: pages of every size walk a state whose scores tie, in order,
// each job once.
func TestListPagesWithTies(t *testing.T) {
	const tier = store.Low
	s := openTest(t)
	k := newRawKit(t, s.Prefix(), tier)
	at := []int64{700, 900, 900, 900, 800, 900, 600, 900, 800}
	want := seedFinished(k, "c", "c", at)
	for limit := 1; limit <= len(at)+1; limit++ {
		got := listAll(t, s, store.ListRequest{Tier: tier, State: store.StateCompleted, Limit: limit})
		if !slices.Equal(got, want) {
			t.Fatalf("Limit %d: listed\n%v\nwant\n%v", limit, got, want)
		}
	}

	// Delayed: by RunAt, equal RunAts in arrival order.
	now := int64(1000)
	var jobs []*store.Job
	for i, runAt := range []int64{5000, 3000, 5000, 4000, 5000, 3000} {
		j := newTestJob(tier, now)
		j.RunAt = runAt
		j.Payload = fmt.Appendf(nil, `{"i":%d}`, i)
		jobs = append(jobs, j)
	}
	if _, err := s.Enqueue(t.Context(), now, jobs); err != nil {
		t.Fatal(err)
	}
	wantDelayed := []string{jobs[1].ID, jobs[5].ID, jobs[3].ID, jobs[0].ID, jobs[2].ID, jobs[4].ID}
	for limit := 1; limit <= 4; limit++ {
		got := listAll(t, s, store.ListRequest{Tier: tier, State: store.StateDelayed, Limit: limit})
		if !slices.Equal(got, wantDelayed) {
			t.Fatalf("delayed, Limit %d: listed\n%v\nwant\n%v", limit, got, wantDelayed)
		}
	}
}

// TestListCursorAfterItsJobLeft: when the job a cursor names is gone (or moved) before the
// next page, the next page still starts right after where it was: no job is skipped or
// listed twice, among ties too.
func TestListCursorAfterItsJobLeft(t *testing.T) {
	const tier = store.Low
	for _, tc := range []struct {
		state  store.State
		letter string
		zset   string
	}{{store.StateCompleted, "c", "c"}, {store.StateFailed, "f", "f"}} {
		t.Run(string(tc.state), func(t *testing.T) {
			s := openTest(t)
			k := newRawKit(t, s.Prefix(), tier)
			want := seedFinished(k, tc.letter, tc.zset, []int64{900, 900, 900, 900, 900, 800, 900})
			for cut := 1; cut < len(want); cut++ {
				p, err := s.List(t.Context(), store.ListRequest{Tier: tier, State: tc.state, Limit: cut})
				if err != nil || len(p.Jobs) != cut || p.Next == "" {
					t.Fatalf("first page of %d: %d jobs, next %q, %v", cut, len(p.Jobs), p.Next, err)
				}
				last := p.Jobs[cut-1].ID
				score, err := k.do("ZSCORE", k.key(tc.zset), last).ToString()
				if err != nil {
					t.Fatal(err)
				}
				k.do("ZREM", k.key(tc.zset), last)
				rest := listAll(t, s, store.ListRequest{Tier: tier, State: tc.state, Limit: 2, Cursor: p.Next})
				if !slices.Equal(rest, want[cut:]) {
					t.Fatalf("after %s left: listed %v, want %v", last, rest, want[cut:])
				}
				// Moved rather than gone (another score): the page still starts where it was.
				k.zadd(tc.zset, "100", last)
				rest = listAll(t, s, store.ListRequest{Tier: tier, State: tc.state, Limit: 3, Cursor: p.Next})
				if wantMoved := append(slices.Clone(want[cut:]), last); !slices.Equal(rest, wantMoved) {
					t.Fatalf("after %s moved: listed %v, want %v", last, rest, wantMoved)
				}
				k.zadd(tc.zset, score, last) // back, for the next cut
			}
		})
	}
}

// TestListWaitingAndActive: waiting jobs come next-to-run first (a released job ahead),
// active ones by LeaseUntil with their run's StartedAt and LeaseUntil.
func TestListWaitingAndActive(t *testing.T) {
	const tier = store.Medium
	s := openTest(t)
	now := int64(10_000)
	var jobs []*store.Job
	for range 7 {
		jobs = append(jobs, newTestJob(tier, now))
	}
	if _, err := s.Enqueue(t.Context(), now, jobs); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	for limit := 1; limit <= 8; limit++ {
		if got := listAll(t, s, store.ListRequest{Tier: tier, State: store.StateWaiting, Limit: limit}); !slices.Equal(got, ids) {
			t.Fatalf("waiting, Limit %d: %v, want %v", limit, got, ids)
		}
	}
	for i, lease := range []int64{5000, 1000, 3000} {
		r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: 1, Now: now + int64(i), LeaseMs: lease})
		if err != nil || len(r.Jobs) != 1 {
			t.Fatalf("Fetch: %d jobs, %v", len(r.Jobs), err)
		}
	}
	p, err := s.List(t.Context(), store.ListRequest{Tier: tier, State: store.StateActive, Limit: 10})
	if err != nil || len(p.Jobs) != 3 || p.Next != "" {
		t.Fatalf("active: %d jobs, next %q, %v", len(p.Jobs), p.Next, err)
	}
	for i, w := range []struct {
		id             string
		started, lease int64
	}{{ids[1], now + 1, now + 1 + 1000}, {ids[2], now + 2, now + 2 + 3000}, {ids[0], now, now + 5000}} {
		j := p.Jobs[i]
		if j.ID != w.id || j.State != store.StateActive || j.StartedAt != w.started || j.LeaseUntil != w.lease {
			t.Fatalf("active job %d = %s %s started %d lease %d, want %s started %d lease %d",
				i, j.ID, j.State, j.StartedAt, j.LeaseUntil, w.id, w.started, w.lease)
		}
	}
	if err := s.Ack(t.Context(), []store.Ack{{Kind: store.AckRelease, ID: ids[2], Now: now + 5}}); err != nil {
		t.Fatal(err)
	}
	want := append([]string{ids[2]}, ids[3:]...)
	if got := listAll(t, s, store.ListRequest{Tier: tier, State: store.StateWaiting, Limit: 2}); !slices.Equal(got, want) {
		t.Fatalf("waiting after a release: %v, want %v", got, want)
	}
}

// TestListRefusesBadRequests: limits outside 1..1000, an unknown state, a malformed cursor
// and a cursor of another state are errors.
func TestListRefusesBadRequests(t *testing.T) {
	s := openTest(t)
	k := newRawKit(t, s.Prefix(), store.High)
	seedFinished(k, "c", "c", []int64{1, 2, 3})
	p, err := s.List(t.Context(), store.ListRequest{Tier: store.High, State: store.StateCompleted, Limit: 1})
	if err != nil || p.Next == "" {
		t.Fatalf("List = %+v, %v", p, err)
	}
	for _, req := range []store.ListRequest{
		{Tier: store.High, State: store.StateCompleted, Limit: 0},
		{Tier: store.High, State: store.StateCompleted, Limit: MaxListLimit + 1},
		{Tier: store.High, State: "paused", Limit: 1},
		{Tier: 9, State: store.StateCompleted, Limit: 1},
		{Tier: store.High, State: store.StateCompleted, Limit: 1, Cursor: "not a cursor"},
		{Tier: store.High, State: store.StateFailed, Limit: 1, Cursor: p.Next},
		{Tier: store.High, State: store.StateWaiting, Limit: 1, Cursor: p.Next},
	} {
		if _, err := s.List(t.Context(), req); err == nil {
			t.Errorf("List(%+v): no error", req)
		}
	}
	if _, err := s.List(t.Context(), store.ListRequest{Tier: store.High, State: store.StateCompleted, Limit: MaxListLimit}); err != nil {
		t.Errorf("List with Limit %d: %v", MaxListLimit, err)
	}
}

// TestListWaitingWhileClaimed: pages of waiting jobs continue after the last job listed
// while workers claim from the front between pages: no job that stayed waiting is skipped,
// none is listed twice, and once the workers overtake the cursor the walk goes on from the
// pop end.
func TestListWaitingWhileClaimed(t *testing.T) {
	const tier = store.Medium
	s := openTest(t)
	now := int64(10_000)
	var ids []string
	var jobs []*store.Job
	for range 12 {
		j := newTestJob(tier, now)
		jobs = append(jobs, j)
		ids = append(ids, j.ID)
	}
	if _, err := s.Enqueue(t.Context(), now, jobs); err != nil {
		t.Fatal(err)
	}
	page := func(cursor string) ([]string, string) {
		t.Helper()
		p, err := s.List(t.Context(), store.ListRequest{Tier: tier, State: store.StateWaiting, Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, j := range p.Jobs {
			got = append(got, j.ID)
		}
		return got, p.Next
	}
	claim := func(n int) {
		t.Helper()
		r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: n, Now: now, LeaseMs: 1000})
		if err != nil || len(r.Jobs) != n {
			t.Fatalf("Fetch = %d jobs, %v; want %d", len(r.Jobs), err, n)
		}
	}
	got, next := page("")
	if !slices.Equal(got, ids[0:3]) {
		t.Fatalf("page 1 = %v, want %v", got, ids[0:3])
	}
	claim(2) // ids 0, 1: behind the cursor
	if got, next = page(next); !slices.Equal(got, ids[3:6]) {
		t.Fatalf("page 2 after 2 claims = %v, want %v", got, ids[3:6])
	}
	claim(5) // ids 2..6: past the cursor (id 5)
	if got, next = page(next); !slices.Equal(got, ids[7:10]) {
		t.Fatalf("page 3 after the cursor's job was claimed = %v, want %v", got, ids[7:10])
	}
	if got, next = page(next); !slices.Equal(got, ids[10:12]) || next != "" {
		t.Fatalf("last page = %v (next %q), want %v and no next", got, next, ids[10:12])
	}
}
