package storetest

import (
	"testing"

	"github.com/slaqhq/slaq/store"
)

// runAck checks every kind of Ack, batches mixing them, and acks that must be ignored.
func runAck(t *testing.T, open func(t *testing.T) store.Store) {
	const tier = store.Medium
	// claim enqueues one job at Base, fetches it at Base+10 and returns its active record.
	claim := func(t *testing.T, s store.Store, retainMs int64) *store.Job {
		t.Helper()
		j := newJob(tier, Base)
		j.RetainMs = retainMs
		enqueue(t, s, Base, j)
		r := fetch(t, s, tier, 1, Base+10)
		if len(r.Jobs) != 1 || r.Jobs[0].ID != j.ID {
			t.Fatalf("claimed %v, want [%s]", ids(r.Jobs), j.ID)
		}
		return r.Jobs[0]
	}

	t.Run("CompleteRetained", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := claim(t, s, 60_000)
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: j.ID, Tier: tier, Now: Base + 20, Result: []byte(`{"sent":true}`)})
		want := clone(j)
		want.State, want.FinishedAt, want.Result = store.StateCompleted, Base+20, []byte(`{"sent":true}`)
		want.LeaseUntil = get(t, s, j.ID).LeaseUntil // a finished job's lease is not specified
		wantJob(t, s, want)
		wantCounts(t, s, tier, store.Counts{Completed: 1})
	})

	t.Run("CompleteDeleted", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := claim(t, s, 0)
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: j.ID, Tier: tier, Now: Base + 20})
		wantGone(t, s, j.ID)
		wantCounts(t, s, tier, store.Counts{Completed: 1})
	})

	t.Run("Retry", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := claim(t, s, 0)
		ack(t, s, store.Ack{Kind: store.AckRetry, ID: j.ID, Tier: tier, Now: Base + 20, RunAt: Base + 2_020, Error: "smtp: 451 try later"})
		got := get(t, s, j.ID)
		if got.State != store.StateDelayed || got.Attempts != j.Attempts+1 || got.RunAt != Base+2_020 || got.LastError != "smtp: 451 try later" {
			t.Fatalf("after retry: state %q attempts %d runAt %d lastError %q; want delayed, %d, %d, the error",
				got.State, got.Attempts, got.RunAt, got.LastError, j.Attempts+1, Base+2_020)
		}
		wantCounts(t, s, tier, store.Counts{Delayed: 1})
		if r := fetch(t, s, tier, 1, Base+2_019); len(r.Jobs) != 0 || r.NextRunAt != Base+2_020 {
			t.Fatalf("before RunAt: %d jobs, NextRunAt %d; want none, %d", len(r.Jobs), r.NextRunAt, Base+2_020)
		}
		r := fetch(t, s, tier, 1, Base+2_020)
		if len(r.Jobs) != 1 || r.Jobs[0].Attempts != j.Attempts+1 {
			t.Fatalf("at RunAt: %v; want the job again with %d attempts spent", ids(r.Jobs), j.Attempts+1)
		}
	})

	t.Run("Snooze", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := claim(t, s, 0)
		ack(t, s, store.Ack{Kind: store.AckSnooze, ID: j.ID, Tier: tier, Now: Base + 20, RunAt: Base + 5_000})
		got := get(t, s, j.ID)
		if got.State != store.StateDelayed || got.Attempts != j.Attempts || got.RunAt != Base+5_000 {
			t.Fatalf("after snooze: state %q attempts %d runAt %d; want delayed, %d, %d", got.State, got.Attempts, got.RunAt, j.Attempts, Base+5_000)
		}
		wantCounts(t, s, tier, store.Counts{Delayed: 1})
	})

	t.Run("ReleaseKeepsPlace", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := claim(t, s, 0)
		later := newJobs(2, tier, Base+15)
		enqueue(t, s, Base+15, later...)
		ack(t, s, store.Ack{Kind: store.AckRelease, ID: j.ID, Tier: tier, Now: Base + 20})
		got := get(t, s, j.ID)
		if got.State != store.StateWaiting || got.Attempts != j.Attempts {
			t.Fatalf("after release: state %q attempts %d; want waiting, %d", got.State, got.Attempts, j.Attempts)
		}
		wantCounts(t, s, tier, store.Counts{Waiting: 3})
		wantIDs(t, "fetch after release", fetch(t, s, tier, 3, Base+30).Jobs, j, later[0], later[1])
	})

	t.Run("FailDeadForget", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var failed []*store.Job
		for i := range 3 {
			j := claim(t, s, 0)
			ack(t, s, store.Ack{Kind: store.AckFail, ID: j.ID, Tier: tier, Now: Base + 100 + int64(i), Error: "permanent: bad payload"})
			failed = append(failed, j)
		}
		got := get(t, s, failed[0].ID)
		if got.State != store.StateFailed || got.Attempts != failed[0].Attempts+1 || got.FinishedAt != Base+100 || got.LastError != "permanent: bad payload" {
			t.Fatalf("after fail: state %q attempts %d finishedAt %d lastError %q", got.State, got.Attempts, got.FinishedAt, got.LastError)
		}
		wantCounts(t, s, tier, store.Counts{Failed: 3})
		dead, err := s.Dead(t.Context(), tier, 2)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "Dead(limit 2)", dead, failed[0], failed[1])
		if d := jobDiff(got, dead[0]); d != nil {
			t.Fatalf("Dead record differs from Get: %v", d)
		}
		if other, err := s.Dead(t.Context(), store.Low, 10); err != nil || len(other) != 0 {
			t.Fatalf("Dead(other tier) = %v, %v; want none", ids(other), err)
		}
		waiting := newJob(tier, Base)
		enqueue(t, s, Base, waiting)
		forget := []string{failed[0].ID, failed[1].ID, waiting.ID, store.NewID(tier, Base)}
		if err := s.Forget(t.Context(), tier, forget); err != nil {
			t.Fatal(err)
		}
		wantGone(t, s, failed[0].ID)
		wantGone(t, s, failed[1].ID)
		get(t, s, waiting.ID) // not failed: Forget leaves it
		dead, err = s.Dead(t.Context(), tier, 10)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "Dead after Forget", dead, failed[2])
		wantCounts(t, s, tier, store.Counts{Waiting: 1, Failed: 3}) // Failed is cumulative
	})

	t.Run("IgnoredAcks", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		done := claim(t, s, 60_000)
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: done.ID, Tier: tier, Now: Base + 20})
		waiting, delayed := newJob(tier, Base), newJob(tier, Base+10_000)
		enqueue(t, s, Base, waiting, delayed)
		before := map[string]*store.Job{}
		for _, id := range []string{done.ID, waiting.ID, delayed.ID} {
			before[id] = get(t, s, id)
		}
		unknown := store.NewID(tier, Base)
		kinds := []store.AckKind{store.AckComplete, store.AckRetry, store.AckSnooze, store.AckRelease, store.AckFail}
		for _, kind := range kinds {
			for _, id := range []string{done.ID, waiting.ID, delayed.ID, unknown} {
				ack(t, s, store.Ack{Kind: kind, ID: id, Tier: tier, Now: Base + 30, RunAt: Base + 40, Error: "stale"})
			}
		}
		for id, want := range before {
			if d := jobDiff(want, get(t, s, id)); d != nil {
				t.Fatalf("ack of a job that is not active changed it: %v", d)
			}
		}
		wantGone(t, s, unknown)
		wantCounts(t, s, tier, store.Counts{Waiting: 1, Delayed: 1, Completed: 1})
	})

	t.Run("MixedBatch", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		jobs := newJobs(6, tier, Base)
		enqueue(t, s, Base, jobs...)
		got := fetch(t, s, tier, 6, Base)
		if len(got.Jobs) != 6 {
			t.Fatalf("claimed %d, want 6", len(got.Jobs))
		}
		now := Base + 50
		ack(t, s,
			store.Ack{Kind: store.AckComplete, ID: jobs[0].ID, Tier: tier, Now: now},
			store.Ack{Kind: store.AckRetry, ID: jobs[1].ID, Tier: tier, Now: now, RunAt: now + 2_000, Error: "e"},
			store.Ack{Kind: store.AckSnooze, ID: jobs[2].ID, Tier: tier, Now: now, RunAt: now + 1_000},
			store.Ack{Kind: store.AckRelease, ID: jobs[3].ID, Tier: tier, Now: now},
			store.Ack{Kind: store.AckFail, ID: jobs[4].ID, Tier: tier, Now: now, Error: "e"},
			store.Ack{Kind: store.AckComplete, ID: jobs[0].ID, Tier: tier, Now: now}, // repeated: ignored
		)
		wantCounts(t, s, tier, store.Counts{Waiting: 1, Active: 1, Delayed: 2, Completed: 1, Failed: 1})
		wantGone(t, s, jobs[0].ID)
		for i, want := range []store.State{"", store.StateDelayed, store.StateDelayed, store.StateWaiting, store.StateFailed, store.StateActive} {
			if i > 0 && get(t, s, jobs[i].ID).State != want {
				t.Fatalf("job %d: state %q, want %q", i, get(t, s, jobs[i].ID).State, want)
			}
		}
	})
}
