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
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: Base + 20, Result: []byte(`{"sent":true}`)})
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
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: Base + 20})
		wantGone(t, s, j.ID)
		wantCounts(t, s, tier, store.Counts{Completed: 1})
	})

	t.Run("Retry", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := claim(t, s, 0)
		ack(t, s, store.Ack{Kind: store.AckRetry, ID: j.ID, Now: Base + 20, RunAt: Base + 2_020, Error: "smtp: 451 try later"})
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
		ack(t, s, store.Ack{Kind: store.AckSnooze, ID: j.ID, Now: Base + 20, RunAt: Base + 5_000})
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
		ack(t, s, store.Ack{Kind: store.AckRelease, ID: j.ID, Now: Base + 20})
		got := get(t, s, j.ID)
		if got.State != store.StateWaiting || got.Attempts != j.Attempts {
			t.Fatalf("after release: state %q attempts %d; want waiting, %d", got.State, got.Attempts, j.Attempts)
		}
		wantCounts(t, s, tier, store.Counts{Waiting: 3})
		wantIDs(t, "fetch after release", fetch(t, s, tier, 3, Base+30).Jobs, j, later[0], later[1])
	})

	t.Run("IgnoredAcks", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		done := claim(t, s, 60_000)
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: done.ID, Now: Base + 20})
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
				ack(t, s, store.Ack{Kind: kind, ID: id, Now: Base + 30, RunAt: Base + 40, Error: "stale"})
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
			store.Ack{Kind: store.AckComplete, ID: jobs[0].ID, Now: now},
			store.Ack{Kind: store.AckRetry, ID: jobs[1].ID, Now: now, RunAt: now + 2_000, Error: "e"},
			store.Ack{Kind: store.AckSnooze, ID: jobs[2].ID, Now: now, RunAt: now + 1_000},
			store.Ack{Kind: store.AckRelease, ID: jobs[3].ID, Now: now},
			store.Ack{Kind: store.AckFail, ID: jobs[4].ID, Now: now, Error: "e"},
			store.Ack{Kind: store.AckComplete, ID: jobs[0].ID, Now: now}, // repeated: ignored
		)
		wantCounts(t, s, tier, store.Counts{Waiting: 1, Active: 1, Delayed: 2, Completed: 1, Failed: 1})
		wantGone(t, s, jobs[0].ID)
		for i, want := range []store.State{"", store.StateDelayed, store.StateDelayed, store.StateWaiting, store.StateFailed, store.StateActive} {
			if i > 0 && get(t, s, jobs[i].ID).State != want {
				t.Fatalf("job %d: state %q, want %q", i, get(t, s, jobs[i].ID).State, want)
			}
		}
	})

	t.Run("CompleteTrimsToKeep", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		other := finish(t, s, store.Low, store.AckComplete, 3_600_000, Base+1, Base+2) // another tier: untouched
		jobs := newJobs(8, tier, Base)
		for _, j := range jobs {
			j.RetainMs = 3_600_000
		}
		enqueue(t, s, Base, jobs...)
		wantIDs(t, "claim", fetch(t, s, tier, len(jobs), Base).Jobs, jobs...)
		// One by one with KeepCompleted 3: the tier never keeps more than 3, the newest.
		for i, j := range jobs[:5] {
			ack(t, s, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: Base + 100 + int64(i), KeepCompleted: 3})
		}
		wantKept := func(what string, kept, gone []*store.Job) {
			t.Helper()
			for _, j := range kept {
				if got := get(t, s, j.ID); got.State != store.StateCompleted {
					t.Fatalf("%s: job %s is %s, want completed", what, j.ID, got.State)
				}
			}
			for _, j := range gone {
				wantGone(t, s, j.ID)
			}
		}
		wantKept("after 5 acks keeping 3", jobs[2:5], jobs[:2])
		// Two in one batch: the same rule, applied ack by ack.
		ack(t, s,
			store.Ack{Kind: store.AckComplete, ID: jobs[5].ID, Now: Base + 200, KeepCompleted: 3},
			store.Ack{Kind: store.AckComplete, ID: jobs[6].ID, Now: Base + 201, KeepCompleted: 3})
		wantKept("after a batch keeping 3", []*store.Job{jobs[4], jobs[5], jobs[6]}, jobs[:4])
		// KeepCompleted 0: no count limit.
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: jobs[7].ID, Now: Base + 300})
		wantKept("after an ack without a limit", jobs[4:], jobs[:4])
		wantKept("other tier", other, nil)
		wantCounts(t, s, tier, store.Counts{Completed: 8})
	})

	t.Run("CompleteDeletedStillTrims", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		kept := finish(t, s, tier, store.AckComplete, 3_600_000, Base+100, Base+200, Base+300)
		gone := claim(t, s, 0) // RetainMs 0: deleted at once, and the tier keeps 1
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: gone.ID, Now: Base + 400, KeepCompleted: 1})
		wantGone(t, s, gone.ID)
		wantGone(t, s, kept[0].ID)
		wantGone(t, s, kept[1].ID)
		get(t, s, kept[2].ID)
		wantCounts(t, s, tier, store.Counts{Completed: 4})
	})

	t.Run("IgnoredAckTrimsNothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		done := finish(t, s, tier, store.AckComplete, 3_600_000, Base+100, Base+200, Base+300)
		run := claim(t, s, 3_600_000)
		for _, a := range []store.Ack{
			{Kind: store.AckComplete, ID: done[0].ID, Now: Base + 400, KeepCompleted: 1},                           // not active
			{Kind: store.AckComplete, ID: store.NewID(tier, Base), Now: Base + 400, KeepCompleted: 1},              // unknown
			{Kind: store.AckComplete, ID: run.ID, Now: Base + 400, KeepCompleted: 1, StartedAt: run.StartedAt + 1}, // another run
		} {
			ack(t, s, a)
		}
		for _, j := range done {
			get(t, s, j.ID)
		}
		wantCounts(t, s, tier, store.Counts{Active: 1, Completed: 3})
	})
}
