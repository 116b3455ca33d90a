package storetest

import (
	"testing"

	"github.com/slaqhq/slaq/store"
)

// runFence checks that an ack naming a run's StartedAt reaches that run only: once a lapsed
// lease was rescued and the job claimed again, the first worker's late outcome is ignored.
func runFence(t *testing.T, open func(t *testing.T) store.Store) {
	const tier = store.High
	kinds := []struct {
		name string
		kind store.AckKind
	}{
		{"Complete", store.AckComplete}, {"Retry", store.AckRetry}, {"Snooze", store.AckSnooze},
		{"Release", store.AckRelease}, {"Fail", store.AckFail},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			j := newJob(tier, Base)
			enqueue(t, s, Base, j)
			first := fetchReq(t, s, store.FetchRequest{Tier: tier, Limit: 1, Now: Base + 10, LeaseMs: 1_000})
			if len(first.Jobs) != 1 {
				t.Fatalf("first claim got %d jobs", len(first.Jobs))
			}
			if n, err := s.Rescue(t.Context(), tier, Base+2_000); err != nil || n != 1 {
				t.Fatalf("Rescue = %d, %v; want 1", n, err)
			}
			second := fetch(t, s, tier, 1, Base+2_010)
			if len(second.Jobs) != 1 || second.Jobs[0].StartedAt != Base+2_010 {
				t.Fatalf("second claim: %+v", second.Jobs)
			}
			// The first worker's late outcome names its own run: ignored.
			ack(t, s, store.Ack{Kind: k.kind, ID: j.ID, Tier: tier, Now: Base + 2_020, RunAt: Base + 9_000,
				Error: "stale", StartedAt: first.Jobs[0].StartedAt})
			got := get(t, s, j.ID)
			if got.State != store.StateActive || got.Attempts != 0 || got.StartedAt != Base+2_010 || got.LastError != "" {
				t.Fatalf("a stale ack changed the job: %+v", got)
			}
			wantCounts(t, s, tier, store.Counts{Active: 1})
			// The current run's outcome applies.
			ack(t, s, store.Ack{Kind: store.AckComplete, ID: j.ID, Tier: tier, Now: Base + 2_030, StartedAt: Base + 2_010})
			wantGone(t, s, j.ID)
			wantCounts(t, s, tier, store.Counts{Completed: 1})
		})
	}
}
