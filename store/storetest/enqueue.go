package storetest

import (
	"bytes"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// runEnqueue checks Enqueue: states by RunAt, results, bulk order, exact round trip.
func runEnqueue(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("WaitingOrDelayedByRunAt", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		tests := []struct {
			name  string
			runAt int64
			want  store.State
		}{
			{"past", Base - 5_000, store.StateWaiting},
			{"now", Base, store.StateWaiting},
			{"future", Base + 1, store.StateDelayed},
			{"far future", Base + 3_600_000, store.StateDelayed},
		}
		for _, tc := range tests {
			j := newJob(store.High, tc.runAt)
			enqueue(t, s, Base, j)
			if got := get(t, s, j.ID).State; got != tc.want {
				t.Errorf("%s: RunAt %d at now %d: state %q, want %q", tc.name, tc.runAt, Base, got, tc.want)
			}
		}
		wantCounts(t, s, store.High, store.Counts{Waiting: 2, Delayed: 2})
	})

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		big := bytes.Repeat([]byte(`{"k":"0123456789abcdef"},`), (1<<20)/25)
		big = append(big[:len(big)-1:len(big)-1], 0x00, 0xff, '\n') // every byte value kind survives
		full := &store.Job{
			ID:          store.NewID(store.Low, Base),
			Type:        "export_transactions",
			Tier:        store.Low,
			Payload:     big,
			Attempts:    1,
			MaxAttempts: 7,
			TimeoutMs:   600_000,
			BackoffMs:   2_500,
			RunAt:       Base + 60_000,
			CreatedAt:   Base - 3,
			LastError:   "earlier failure: timeout",
			UniqueKey:   "export:user-42",
			UniqueTTLMs: 86_400_000,
			RetainMs:    3_600_000,
		}
		small := &store.Job{
			ID: store.NewID(store.Critical, Base), Type: "send_otp", Tier: store.Critical,
			Payload: []byte(`{"phone":"+15550100","code":"123456"}`), MaxAttempts: 1,
			TimeoutMs: 1, RunAt: Base, CreatedAt: Base,
		}
		sent := []*store.Job{clone(full), clone(small)}
		enqueue(t, s, Base, sent...)
		if !bytes.Equal(sent[0].Payload, full.Payload) {
			t.Fatal("Enqueue changed the caller's payload")
		}
		full.State, small.State = store.StateDelayed, store.StateWaiting
		wantJob(t, s, full)
		wantJob(t, s, small)
		if len(full.Payload) < 1<<20 {
			t.Fatalf("test payload is %d bytes, want at least 1 MiB", len(full.Payload))
		}
	})

	t.Run("Bulk", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const n = 2_000
		jobs := newJobs(n, store.Medium, Base)
		for i := n / 2; i < n; i++ {
			jobs[i].RunAt = Base + 1_000 // half of them delayed
		}
		enqueue(t, s, Base, jobs...)
		wantCounts(t, s, store.Medium, store.Counts{Waiting: n / 2, Delayed: n / 2})
		got := fetch(t, s, store.Medium, n, Base+1_000).Jobs
		wantIDs(t, "fetch after a bulk enqueue", got, jobs...)
		for i, j := range got {
			if !bytes.Equal(j.Payload, jobs[i].Payload) {
				t.Fatalf("job %d payload %q, want %q", i, j.Payload, jobs[i].Payload)
			}
		}
		wantCounts(t, s, store.Medium, store.Counts{Active: n})
	})

	t.Run("EmptyBatch", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		res, err := s.Enqueue(t.Context(), Base, nil)
		if err != nil || len(res) != 0 {
			t.Fatalf("Enqueue(nil) = %v, %v; want no results, no error", res, err)
		}
		wantCounts(t, s, store.Critical, store.Counts{})
	})
}

// runUnique checks unique keys: the holder's id on a duplicate, nothing stored, expiry by now.
func runUnique(t *testing.T, open func(t *testing.T) store.Store) {
	const ttl = 10_000
	keyed := func(key string, runAt int64) *store.Job {
		j := newJob(store.High, runAt)
		j.UniqueKey, j.UniqueTTLMs = key, ttl
		return j
	}
	// enqueueOne enqueues j at now and returns its single result.
	enqueueOne := func(t *testing.T, s store.Store, now int64, j *store.Job) store.EnqueueResult {
		t.Helper()
		res, err := s.Enqueue(t.Context(), now, []*store.Job{j})
		if err != nil || len(res) != 1 {
			t.Fatalf("Enqueue = %v, %v; want one result", res, err)
		}
		return res[0]
	}

	t.Run("DuplicateWithinTTL", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		holder := keyed("pay:1", Base)
		enqueue(t, s, Base, holder)
		for _, at := range []int64{Base, Base + 1, Base + ttl - 1} {
			dup := keyed("pay:1", at)
			r := enqueueOne(t, s, at, dup)
			if !r.Duplicate || r.ID != holder.ID {
				t.Fatalf("duplicate at +%d ms: %+v, want Duplicate with holder id %s", at-Base, r, holder.ID)
			}
			wantGone(t, s, dup.ID)
		}
		delayedDup := keyed("pay:1", Base+ttl*10) // a delayed duplicate is not stored either
		if r := enqueueOne(t, s, Base+5, delayedDup); !r.Duplicate || r.ID != holder.ID {
			t.Fatalf("delayed duplicate: %+v, want Duplicate of %s", r, holder.ID)
		}
		wantGone(t, s, delayedDup.ID)
		wantCounts(t, s, store.High, store.Counts{Waiting: 1})
	})

	t.Run("NewJobAfterTTL", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		first := keyed("pay:2", Base)
		enqueue(t, s, Base, first)
		second := keyed("pay:2", Base+ttl)
		enqueue(t, s, Base+ttl, second) // enqueued exactly TTL ago: no longer held
		if r := enqueueOne(t, s, Base+ttl+1, keyed("pay:2", Base+ttl+1)); !r.Duplicate || r.ID != second.ID {
			t.Fatalf("after the key moved: %+v, want Duplicate of the new holder %s", r, second.ID)
		}
		wantCounts(t, s, store.High, store.Counts{Waiting: 2})
	})

	t.Run("HeldAfterHolderFinished", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		holder := keyed("webhook:evt_9", Base)
		enqueue(t, s, Base, holder)
		fetch(t, s, store.High, 1, Base)
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: holder.ID, Tier: store.High, Now: Base + 10})
		if r := enqueueOne(t, s, Base+20, keyed("webhook:evt_9", Base+20)); !r.Duplicate || r.ID != holder.ID {
			t.Fatalf("key of a finished, deleted holder: %+v, want Duplicate of %s", r, holder.ID)
		}
		wantCounts(t, s, store.High, store.Counts{Completed: 1})
	})

	t.Run("WithinOneBatch", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b, c, d := keyed("k1", Base), keyed("k1", Base), keyed("k2", Base), newJob(store.High, Base)
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
		wantCounts(t, s, store.High, store.Counts{Waiting: 3})
	})

	t.Run("NoKeyNeverDuplicate", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJobs(3, store.High, Base)...)
		enqueue(t, s, Base, keyed("other", Base), keyed("another", Base))
		wantCounts(t, s, store.High, store.Counts{Waiting: 5})
	})
}
