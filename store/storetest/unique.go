package storetest

import (
	"testing"

	"github.com/slaqhq/slaq/store"
)

// uniqueTTL is the UniqueTTLMs of the unique-key checks.
const uniqueTTL = 10_000

// keyed returns a job of tier holding key for uniqueTTL, runnable at runAt.
func keyed(tier store.Tier, key string, runAt int64) *store.Job {
	j := newJob(tier, runAt)
	j.UniqueKey, j.UniqueTTLMs = key, uniqueTTL
	return j
}

// wantHeld fails the test unless a new job of tier with key, enqueued at now, is a duplicate of holder.
func wantHeld(t *testing.T, s store.Store, tier store.Tier, key string, now int64, holder *store.Job) {
	t.Helper()
	dup := keyed(tier, key, now)
	if r := enqueueOne(t, s, now, dup); r != (store.EnqueueResult{ID: holder.ID, Duplicate: true}) {
		t.Fatalf("key %q at +%d ms: %+v; want Duplicate of the holder %s", key, now-Base, r, holder.ID)
	}
	wantGone(t, s, dup.ID)
}

// wantFree fails the test unless a new job of tier with key, enqueued at now, is stored; it
// returns that job, the key's new holder.
func wantFree(t *testing.T, s store.Store, tier store.Tier, key string, now int64) *store.Job {
	t.Helper()
	j := keyed(tier, key, now)
	if r := enqueueOne(t, s, now, j); r != (store.EnqueueResult{ID: j.ID}) {
		t.Fatalf("key %q at +%d ms: %+v; want the job stored (the key is free)", key, now-Base, r)
	}
	return j
}

// runUnique checks unique keys: the holder's id on a duplicate, nothing stored, scope per
// (tier, key), and the release rule: held until its TTL passes or its holder is cancelled.
func runUnique(t *testing.T, open func(t *testing.T) store.Store) {
	const tier = store.High

	t.Run("DuplicateWithinTTL", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		holder := wantFree(t, s, tier, "pay:1", Base)
		for _, at := range []int64{Base, Base + 1, Base + uniqueTTL - 1} {
			wantHeld(t, s, tier, "pay:1", at, holder)
		}
		delayedDup := keyed(tier, "pay:1", Base+uniqueTTL*10) // a delayed duplicate is not stored either
		if r := enqueueOne(t, s, Base+5, delayedDup); r != (store.EnqueueResult{ID: holder.ID, Duplicate: true}) {
			t.Fatalf("delayed duplicate: %+v, want Duplicate of %s", r, holder.ID)
		}
		wantGone(t, s, delayedDup.ID)
		wantCounts(t, s, tier, store.Counts{Waiting: 1})
	})

	t.Run("ReleasedByTTL", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		wantFree(t, s, tier, "pay:2", Base)
		second := wantFree(t, s, tier, "pay:2", Base+uniqueTTL) // enqueued exactly TTL ago: no longer held
		wantHeld(t, s, tier, "pay:2", Base+uniqueTTL+1, second)
		wantCounts(t, s, tier, store.Counts{Waiting: 2})
	})

	t.Run("WithinOneBatch", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b, c, d := keyed(tier, "k1", Base), keyed(tier, "k1", Base), keyed(tier, "k2", Base), newJob(tier, Base)
		res, err := s.Enqueue(t.Context(), Base, []*store.Job{a, b, c, d})
		if err != nil {
			t.Fatal(err)
		}
		want := []store.EnqueueResult{{ID: a.ID}, {ID: a.ID, Duplicate: true}, {ID: c.ID}, {ID: d.ID}}
		if len(res) != len(want) {
			t.Fatalf("got %d results, want %d", len(res), len(want))
		}
		for i := range want {
			if res[i] != want[i] {
				t.Errorf("result %d = %+v, want %+v", i, res[i], want[i])
			}
		}
		wantGone(t, s, b.ID)
		wantCounts(t, s, tier, store.Counts{Waiting: 3})
	})

	t.Run("NoKeyNeverDuplicate", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJobs(3, tier, Base)...)
		enqueue(t, s, Base, keyed(tier, "other", Base), keyed(tier, "another", Base))
		wantCounts(t, s, tier, store.Counts{Waiting: 5})
	})

	t.Run("ScopedPerTier", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		// One key in two tiers, in one call and in separate calls: each tier holds its own.
		high, low := keyed(store.High, "cron:report:1700000000000", Base), keyed(store.Low, "cron:report:1700000000000", Base)
		enqueue(t, s, Base, high, low)
		crit := wantFree(t, s, store.Critical, "cron:report:1700000000000", Base+1)
		wantHeld(t, s, store.High, "cron:report:1700000000000", Base+2, high)
		wantHeld(t, s, store.Low, "cron:report:1700000000000", Base+2, low)
		wantHeld(t, s, store.Critical, "cron:report:1700000000000", Base+2, crit)
		for _, tr := range []store.Tier{store.Critical, store.High, store.Low} {
			wantCounts(t, s, tr, store.Counts{Waiting: 1})
		}
	})

	t.Run("ReleasedByCancel", func(t *testing.T) {
		t.Parallel()
		for _, runAt := range []int64{Base, Base + 60_000} { // waiting, delayed
			s := open(t)
			holder := keyed(tier, "invoice:7", runAt)
			enqueue(t, s, Base, holder)
			if err := s.Cancel(t.Context(), holder.ID); err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			next := wantFree(t, s, tier, "invoice:7", Base+1) // at once, long before the TTL
			wantHeld(t, s, tier, "invoice:7", Base+2, next)
		}
	})

	t.Run("CancelOfFormerHolderKeepsKey", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		former := wantFree(t, s, tier, "sync:acct-3", Base)
		holder := wantFree(t, s, tier, "sync:acct-3", Base+uniqueTTL) // the key moved after its TTL
		if err := s.Cancel(t.Context(), former.ID); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		wantHeld(t, s, tier, "sync:acct-3", Base+uniqueTTL+1, holder)
	})

	// The ends of a holder that keep its key held until the TTL passes.
	ends := []struct {
		name     string
		retainMs int64
		end      func(t *testing.T, s store.Store, holder *store.Job)
	}{
		{"CompletedAndDeleted", 0, func(t *testing.T, s store.Store, h *store.Job) {
			ack(t, s, store.Ack{Kind: store.AckComplete, ID: h.ID, Now: Base + 10})
			wantGone(t, s, h.ID)
		}},
		{"CompletedAndRetained", 3_600_000, func(t *testing.T, s store.Store, h *store.Job) {
			ack(t, s, store.Ack{Kind: store.AckComplete, ID: h.ID, Now: Base + 10})
		}},
		{"CompletedAndCleaned", 1, func(t *testing.T, s store.Store, h *store.Job) {
			ack(t, s, store.Ack{Kind: store.AckComplete, ID: h.ID, Now: Base + 10})
			if r, err := s.Clean(t.Context(), store.CleanRequest{Tier: tier, Now: Base + 50, Limit: 10}); err != nil || r.Completed != 1 {
				t.Fatalf("Clean = %+v, %v; want the holder deleted", r, err)
			}
		}},
		{"Failed", 0, func(t *testing.T, s store.Store, h *store.Job) {
			ack(t, s, store.Ack{Kind: store.AckFail, ID: h.ID, Now: Base + 10, Error: "e"})
		}},
		{"FailedAndDeadLettered", 0, func(t *testing.T, s store.Store, h *store.Job) {
			ack(t, s, store.Ack{Kind: store.AckFail, ID: h.ID, Now: Base + 10, Error: "e"})
			if got, err := s.DeleteFailed(t.Context(), tier, []string{h.ID}); err != nil || len(got) != 1 {
				t.Fatalf("DeleteFailed = %v, %v; want the holder deleted", got, err)
			}
		}},
		{"FailedAndCleaned", 0, func(t *testing.T, s store.Store, h *store.Job) {
			ack(t, s, store.Ack{Kind: store.AckFail, ID: h.ID, Now: Base + 10, Error: "e"})
			r, err := s.Clean(t.Context(), store.CleanRequest{Tier: tier, Now: Base + 50, FailedRetainMs: 1, Limit: 10})
			if err != nil || r.Failed != 1 {
				t.Fatalf("Clean = %+v, %v; want the holder deleted", r, err)
			}
		}},
	}
	for _, e := range ends {
		t.Run("HeldAfter"+e.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			holder := keyed(tier, "webhook:evt_9", Base)
			holder.RetainMs = e.retainMs
			enqueue(t, s, Base, holder)
			wantIDs(t, "claim", fetch(t, s, tier, 1, Base).Jobs, holder)
			e.end(t, s, holder)
			wantHeld(t, s, tier, "webhook:evt_9", Base+100, holder)
			wantFree(t, s, tier, "webhook:evt_9", Base+uniqueTTL)
		})
	}
}
