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
			ack(t, s, store.Ack{Kind: k.kind, ID: j.ID, Now: Base + 2_020, RunAt: Base + 9_000,
				Error: "stale", StartedAt: first.Jobs[0].StartedAt})
			got := get(t, s, j.ID)
			if got.State != store.StateActive || got.Attempts != 0 || got.StartedAt != Base+2_010 || got.LastError != "" {
				t.Fatalf("a stale ack changed the job: %+v", got)
			}
			wantCounts(t, s, tier, store.Counts{Active: 1})
			// The current run's outcome applies.
			ack(t, s, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: Base + 2_030, StartedAt: Base + 2_010})
			wantGone(t, s, j.ID)
			wantCounts(t, s, tier, store.Counts{Completed: 1})
		})
	}
}

// runSameMillisecond checks that every run of a job has its own StartedAt, even when a job
// is claimed again at the same Now as before, or at an earlier one (clocks of processes
// differ): StartedAt is then one more than the previous run's, and the previous run's
// fenced ack is ignored.
func runSameMillisecond(t *testing.T, open func(t *testing.T) store.Store) {
	const (
		tier  = store.Medium
		now   = Base + 10
		lease = 1_000
	)
	// The ways a run ends with the job runnable again at now.
	handBacks := []struct {
		name string
		back func(t *testing.T, s store.Store, id string, startedAt int64)
	}{
		{"Rescued", func(t *testing.T, s store.Store, _ string, _ int64) {
			if n, err := s.Rescue(t.Context(), tier, now+lease+5_000); err != nil || n != 1 {
				t.Fatalf("Rescue = %d, %v; want 1", n, err)
			}
		}},
		{"Released", func(t *testing.T, s store.Store, id string, startedAt int64) {
			ack(t, s, store.Ack{Kind: store.AckRelease, ID: id, Now: now, StartedAt: startedAt})
		}},
		{"Snoozed", func(t *testing.T, s store.Store, id string, startedAt int64) {
			ack(t, s, store.Ack{Kind: store.AckSnooze, ID: id, Now: now, RunAt: now - 5, StartedAt: startedAt})
		}},
		{"Retried", func(t *testing.T, s store.Store, id string, startedAt int64) {
			ack(t, s, store.Ack{Kind: store.AckRetry, ID: id, Now: now, RunAt: now - 5, Error: "e", StartedAt: startedAt})
		}},
	}
	for _, hb := range handBacks {
		t.Run(hb.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			j := newJob(tier, Base)
			j.MaxAttempts = 10
			enqueue(t, s, Base, j)
			// Claims at now, now again, then 5 ms earlier: StartedAt now, now+1, now+2.
			var runs []int64
			for i, at := range []int64{now, now, now - 5} {
				r := fetchReq(t, s, store.FetchRequest{Tier: tier, Limit: 1, Now: at, LeaseMs: lease})
				wantIDs(t, "claim", r.Jobs, j)
				want := now + int64(i)
				if got := r.Jobs[0].StartedAt; got != want {
					t.Fatalf("claim %d at Now %d: StartedAt %d, want %d", i+1, at, got, want)
				}
				if got := get(t, s, j.ID).StartedAt; got != want {
					t.Fatalf("claim %d: stored StartedAt %d, want %d", i+1, got, want)
				}
				runs = append(runs, want)
				if i < 2 {
					hb.back(t, s, j.ID, want)
				}
			}
			before := get(t, s, j.ID)
			for _, old := range runs[:2] { // the earlier runs' outcomes are ignored
				ack(t, s, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: now + 20, StartedAt: old})
				ack(t, s, store.Ack{Kind: store.AckFail, ID: j.ID, Now: now + 20, Error: "stale", StartedAt: old})
			}
			wantUnchanged(t, s, before)
			ack(t, s, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: now + 30, StartedAt: runs[2]})
			wantGone(t, s, j.ID)
			wantCounts(t, s, tier, store.Counts{Completed: 1})
		})
	}
}
