package sqlitestore

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/slaqhq/slaq/store"
)

const lanesNow = int64(1_700_000_000_000)

func openLanes(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "slaq.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func lanesJobs(n int, tier store.Tier, typ string) []*store.Job {
	jobs := make([]*store.Job, n)
	for i := range jobs {
		jobs[i] = &store.Job{ID: store.NewID(tier, lanesNow), Type: typ, Tier: tier, RunAt: lanesNow, CreatedAt: lanesNow, MaxAttempts: 1}
	}
	return jobs
}

// List(waiting) reads the waiting jobs and the lanes in one snapshot: while fetches move
// jobs into a lane, no page lists a job twice or misses one.
func TestListWaitingWhileJobsMoveToLanes(t *testing.T) {
	t.Parallel()
	s := openLanes(t)
	const tier = store.Low
	if err := s.SetRateLimit(t.Context(), store.RateLimit{Tier: tier, Type: "mail", Rate: 1, PeriodMs: 3_600_000}); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		jobs := lanesJobs(100, tier, "mail")
		if _, err := s.Enqueue(t.Context(), lanesNow, jobs); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var bad []string
		fetched := make(chan struct{})
		listing := make(chan struct{})
		wg.Go(func() {
			for k := 0; ; k++ {
				if k == 1 {
					close(listing)
				}
				select {
				case <-fetched:
					return
				default:
				}
				p, err := s.List(t.Context(), store.ListRequest{Tier: tier, State: store.StateWaiting, Limit: 1000})
				if err != nil {
					bad = append(bad, err.Error())
					return
				}
				seen := map[string]bool{}
				for _, j := range p.Jobs {
					if seen[j.ID] {
						bad = append(bad, "listed twice: "+j.ID)
						return
					}
					seen[j.ID] = true
				}
			}
		})
		<-listing // the fetch runs while pages are read
		_, err := s.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: 1, Now: lanesNow, LeaseMs: 1000})
		close(fetched)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Fatalf("round %d: %v", round, bad)
		}
	}
}

// Lanes whose limits have starts free are served oldest head first, not by type name.
func TestLanesServedInPickupOrder(t *testing.T) {
	t.Parallel()
	s := openLanes(t)
	const tier = store.Low
	for _, typ := range []string{"zz", "aa"} {
		if err := s.SetRateLimit(t.Context(), store.RateLimit{Tier: tier, Type: typ, Rate: 1, PeriodMs: 1000}); err != nil {
			t.Fatal(err)
		}
	}
	z, a := lanesJobs(2, tier, "zz"), lanesJobs(2, tier, "aa")
	for _, js := range [][]*store.Job{z, a} {
		if _, err := s.Enqueue(t.Context(), lanesNow, js); err != nil {
			t.Fatal(err)
		}
	}
	fetchIDs := func(limit int, now int64) []string {
		r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: limit, Now: now, LeaseMs: 60_000})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, j := range r.Jobs {
			ids = append(ids, j.ID)
		}
		return ids
	}
	if got := fetchIDs(10, lanesNow); !slices.Equal(got, []string{z[0].ID, a[0].ID}) {
		t.Fatalf("first fetch claimed %v, want zz[0], aa[0]", got)
	}
	if got := fetchIDs(1, lanesNow+5000); !slices.Equal(got, []string{z[1].ID}) {
		t.Fatalf("with both lanes free and room for one, claimed %v, want the older zz[1] %s", got, z[1].ID)
	}
}
