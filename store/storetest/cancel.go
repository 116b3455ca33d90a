package storetest

import (
	"errors"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// runCancel checks Cancel: waiting and delayed jobs go (counts, queue and unique key with
// them), jobs in other states stay untouched, unknown ids are not found.
func runCancel(t *testing.T, open func(t *testing.T) store.Store) {
	const tier = store.High
	tests := []struct {
		state store.State
		runAt int64
	}{
		{store.StateWaiting, Base},
		{store.StateDelayed, Base + 100},
	}
	for _, tc := range tests {
		t.Run(string(tc.state), func(t *testing.T) {
			t.Parallel()
			s := open(t)
			target := keyed(tier, "order:1", tc.runAt)
			waiting, delayed := newJob(tier, Base), newJob(tier, Base+200)
			enqueue(t, s, Base, target, waiting, delayed)
			if err := s.Cancel(t.Context(), target.ID); err != nil {
				t.Fatalf("Cancel(%s job): %v", tc.state, err)
			}
			wantGone(t, s, target.ID)
			wantCounts(t, s, tier, store.Counts{Waiting: 1, Delayed: 1})
			wantErrIs(t, "a second Cancel", s.Cancel(t.Context(), target.ID), store.ErrNotFound)
			p := listPage(t, s, store.ListRequest{Tier: tier, State: tc.state, Limit: 10})
			for _, j := range p.Jobs {
				if j.ID == target.ID {
					t.Fatalf("List(%s) still holds the cancelled job", tc.state)
				}
			}
			// The queue no longer holds it: the earliest delayed job is the other one.
			if r := fetch(t, s, tier, 10, Base+150); len(r.Jobs) != 1 || r.Jobs[0].ID != waiting.ID || r.NextRunAt != Base+200 {
				t.Fatalf("fetch after Cancel: %v, NextRunAt %d; want [%s], %d", ids(r.Jobs), r.NextRunAt, waiting.ID, Base+200)
			}
			wantIDs(t, "fetch when every job is due", fetch(t, s, tier, 10, Base+1_000).Jobs, delayed)
			wantFree(t, s, tier, "order:1", Base+1) // its unique key is free at once
		})
	}

	// The other states: Cancel fails with ErrNotCancellable and changes nothing.
	others := []struct {
		state store.State
		make  func(t *testing.T, s store.Store, j *store.Job)
	}{
		{store.StateActive, func(t *testing.T, s store.Store, j *store.Job) {
			enqueue(t, s, Base, j)
			wantIDs(t, "claim", fetch(t, s, tier, 1, Base).Jobs, j)
		}},
		{store.StateCompleted, func(t *testing.T, s store.Store, j *store.Job) {
			j.RetainMs = 3_600_000
			enqueue(t, s, Base, j)
			wantIDs(t, "claim", fetch(t, s, tier, 1, Base).Jobs, j)
			ack(t, s, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: Base + 10})
		}},
		{store.StateFailed, func(t *testing.T, s store.Store, j *store.Job) {
			enqueue(t, s, Base, j)
			wantIDs(t, "claim", fetch(t, s, tier, 1, Base).Jobs, j)
			ack(t, s, store.Ack{Kind: store.AckFail, ID: j.ID, Now: Base + 10, Error: "e"})
		}},
	}
	for _, o := range others {
		t.Run("NotCancellable/"+string(o.state), func(t *testing.T) {
			t.Parallel()
			s := open(t)
			j := keyed(tier, "order:2", Base)
			o.make(t, s, j)
			before, was := get(t, s, j.ID), counts(t, s, tier)
			if before.State != o.state {
				t.Fatalf("setup: state %s, want %s", before.State, o.state)
			}
			err := s.Cancel(t.Context(), j.ID)
			wantErrIs(t, "Cancel("+string(o.state)+" job)", err, store.ErrNotCancellable)
			if errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Cancel(%s job) = %v, which also wraps ErrNotFound", o.state, err)
			}
			wantUnchanged(t, s, before)
			wantCounts(t, s, tier, was)
			wantHeld(t, s, tier, "order:2", Base+20, j) // the key stays held
		})
	}

	t.Run("Unknown", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJob(tier, Base))
		for _, id := range []string{store.NewID(tier, Base), store.NewID(store.Batch, Base), "", "9XYZ"} {
			err := s.Cancel(t.Context(), id)
			wantErrIs(t, "Cancel("+id+")", err, store.ErrNotFound)
		}
		wantCounts(t, s, tier, store.Counts{Waiting: 1})
	})
}
