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

// runEnqueueIdempotent checks that Enqueue is idempotent on job id, in every state, and that
// a job whose Tier disagrees with its id is an error that stores nothing of its tier.
func runEnqueueIdempotent(t *testing.T, open func(t *testing.T) store.Store) {
	const tier = store.High
	// The ways to put a job in each state; each returns the job as enqueued.
	states := []struct {
		state store.State
		make  func(t *testing.T, s store.Store) *store.Job
	}{
		{store.StateWaiting, func(t *testing.T, s store.Store) *store.Job {
			j := newJob(tier, Base)
			enqueue(t, s, Base, j)
			return j
		}},
		{store.StateDelayed, func(t *testing.T, s store.Store) *store.Job {
			j := newJob(tier, Base+60_000)
			enqueue(t, s, Base, j)
			return j
		}},
		{store.StateActive, func(t *testing.T, s store.Store) *store.Job {
			j := newJob(tier, Base)
			enqueue(t, s, Base, j)
			fetch(t, s, tier, 1, Base)
			return j
		}},
		{store.StateCompleted, func(t *testing.T, s store.Store) *store.Job {
			return finish(t, s, tier, store.AckComplete, 3_600_000, Base+10)[0]
		}},
		{store.StateFailed, func(t *testing.T, s store.Store) *store.Job {
			return finish(t, s, tier, store.AckFail, 0, Base+10)[0]
		}},
	}
	for _, st := range states {
		t.Run("IdempotentOnID/"+string(st.state), func(t *testing.T) {
			t.Parallel()
			s := open(t)
			j := st.make(t, s)
			before := get(t, s, j.ID)
			if before.State != st.state {
				t.Fatalf("setup: state %q, want %q", before.State, st.state)
			}
			was := counts(t, s, tier)
			// A resend that differs in every field a careless store would overwrite.
			resent := clone(j)
			resent.Type, resent.Payload, resent.RunAt, resent.Attempts = "resent", []byte(`{"resent":true}`), Base+50, 2
			fresh := newJob(tier, Base+7_200_000) // a new job in the same call is stored
			res, err := s.Enqueue(t.Context(), Base+100, []*store.Job{resent, fresh})
			if err != nil {
				t.Fatalf("Enqueue of a stored id: %v", err)
			}
			want := []store.EnqueueResult{{ID: j.ID, Duplicate: true}, {ID: fresh.ID}}
			if len(res) != 2 || res[0] != want[0] || res[1] != want[1] {
				t.Fatalf("Enqueue results %+v, want %+v", res, want)
			}
			wantUnchanged(t, s, before)
			was.Delayed++ // fresh
			wantCounts(t, s, tier, was)
			// The job runs once at most: a resend put nothing in the queue.
			got := fetch(t, s, tier, 10, Base+60_000).Jobs
			if runnable := st.state == store.StateWaiting || st.state == store.StateDelayed; runnable {
				wantIDs(t, "fetch after the resend", got, j)
			} else {
				wantIDs(t, "fetch after the resend", got)
			}
			wantIDs(t, "second fetch", fetch(t, s, tier, 10, Base+60_000).Jobs)
		})
	}

	t.Run("IdempotentWithinBatch", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := newJob(tier, Base)
		again := clone(j)
		again.Payload = []byte(`{"n":"second"}`)
		res, err := s.Enqueue(t.Context(), Base, []*store.Job{j, again})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 || res[0] != (store.EnqueueResult{ID: j.ID}) || res[1] != (store.EnqueueResult{ID: j.ID, Duplicate: true}) {
			t.Fatalf("Enqueue of one id twice in a batch = %+v; want stored, then Duplicate", res)
		}
		j.State = store.StateWaiting
		wantJob(t, s, j)
		wantCounts(t, s, tier, store.Counts{Waiting: 1})
	})

	t.Run("IdempotentBeforeUniqueKey", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		stored := newJob(tier, Base)
		stored.UniqueKey, stored.UniqueTTLMs = "k1", 60_000
		holder := newJob(tier, Base)
		holder.UniqueKey, holder.UniqueTTLMs = "k2", 60_000
		enqueue(t, s, Base, stored, holder)
		// A resend names its own id, whichever key it carries, and takes no key.
		for _, key := range []string{"k1", "k2", "k3"} {
			resent := clone(stored)
			resent.UniqueKey = key
			if r := enqueueOne(t, s, Base+1, resent); r != (store.EnqueueResult{ID: stored.ID, Duplicate: true}) {
				t.Fatalf("resend with key %s = %+v; want Duplicate of its own id %s", key, r, stored.ID)
			}
		}
		k3 := newJob(tier, Base)
		k3.UniqueKey, k3.UniqueTTLMs = "k3", 60_000
		if r := enqueueOne(t, s, Base+2, k3); r != (store.EnqueueResult{ID: k3.ID}) {
			t.Fatalf("key k3 after a resend carried it: %+v; want stored (a resend takes no key)", r)
		}
		wantCounts(t, s, tier, store.Counts{Waiting: 3})
	})

	t.Run("DeletedIDStoredAgain", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := finish(t, s, tier, store.AckComplete, 0, Base+10)[0] // deleted at once
		wantGone(t, s, j.ID)
		if r := enqueueOne(t, s, Base+20, j); r != (store.EnqueueResult{ID: j.ID}) {
			t.Fatalf("Enqueue of an id no longer stored = %+v; want it stored", r)
		}
		wantIDs(t, "fetch of the re-enqueued job", fetch(t, s, tier, 10, Base+30).Jobs, j)
	})

	t.Run("TierMustMatchID", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			id   string
			tier store.Tier
		}{
			{"id of another tier", store.NewID(store.Low, Base), store.High},
			{"tier zero", store.NewID(store.Low, Base), 0},
			{"tier out of range", store.NewID(store.Low, Base), store.NumTiers + 1},
			{"empty id", "", store.Low},
			{"id without a tier digit", "X" + store.NewID(store.Low, Base)[1:], store.Low},
		}
		for _, tc := range tests {
			s := open(t)
			bad := newJob(store.Low, Base)
			bad.ID, bad.Tier = tc.id, tc.tier
			companion := newJob(store.Low, Base) // the same tier as the bad job's id
			_, err := s.Enqueue(t.Context(), Base, []*store.Job{companion, bad})
			if err == nil {
				t.Fatalf("%s: Enqueue succeeded, want an error", tc.name)
			}
			if tc.id != "" {
				wantGone(t, s, tc.id)
			}
			wantGone(t, s, companion.ID)
			wantCounts(t, s, store.Low, store.Counts{})
		}
	})
}
