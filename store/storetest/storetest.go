// Package storetest is the conformance suite that every [store.Store] implementation runs,
// unchanged, against a real backend: the embedded SQLite store and the Redis store pass the
// same checks, so the engine can rely on one documented behaviour whichever store it drives.
//
// A store's own test calls [Run] with a function that opens a fresh, empty, isolated store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s := openFresh(t) // e.g. a new file in t.TempDir(), or a unique Redis key prefix
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// A store whose backend several handles can share (processes on one file, clients on one
// Redis) also calls [RunShared] with a function that opens two handles on one fresh backend.
//
// Every check injects time through the "now" arguments, starting from [Base], and never reads
// the wall clock, except the checks of Wait, which measure that it returns promptly, and the
// shared check of Once, whose ttl the Redis store measures on the server's clock. No check
// sleeps to wait for a result: each waits on the result itself, with a deadline. The checks
// follow the wording of the [store.Store] contract, not one store's habits: where the
// contract leaves a choice open (the order of jobs with equal RunAt, which expired jobs a
// bounded Clean deletes first), no check depends on it.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// Base is the fixed "now" (Unix ms, 2023-11-14) every check starts from.
const Base int64 = 1_700_000_000_000

// DefaultLeaseMs is the lease the checks ask for when fetching, unless a check needs another.
const DefaultLeaseMs int64 = 30_000

// Run runs the conformance suite as sub-tests of t, most of them in parallel. open must return
// a fresh, empty store isolated from every other store it returned, and arrange to close it
// when its test ends (t.Cleanup). The suite itself closes some stores early to check Close, so
// a second Close from the cleanup must be harmless (its error is the caller's to ignore).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	groups := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"Enqueue", runEnqueue},
		{"EnqueueIdempotent", runEnqueueIdempotent},
		{"Unique", runUnique},
		{"Fetch", runFetch},
		{"Ack", runAck},
		{"Fence", runFence},
		{"SameMillisecond", runSameMillisecond},
		{"Leases", runLeases},
		{"DeadLetter", runDeadLetter},
		{"Clean", runClean},
		{"List", runList},
		{"Cancel", runCancel},
		{"Wait", runWait},
		{"Misc", runMisc},
		{"Once", runOnce},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, open)
		})
	}
}

// newJob returns a fully filled job of tier that becomes runnable at runAt, created at Base.
func newJob(tier store.Tier, runAt int64) *store.Job {
	return &store.Job{
		ID:          store.NewID(tier, Base),
		Type:        "test_job",
		Tier:        tier,
		Payload:     []byte(`{"n":1}`),
		MaxAttempts: 3,
		TimeoutMs:   10_000,
		BackoffMs:   2_000,
		RunAt:       runAt,
		CreatedAt:   Base,
	}
}

// newJobs returns n jobs of tier, all runnable at runAt.
func newJobs(n int, tier store.Tier, runAt int64) []*store.Job {
	jobs := make([]*store.Job, n)
	for i := range jobs {
		jobs[i] = newJob(tier, runAt)
		jobs[i].Payload = fmt.Appendf(nil, `{"n":%d}`, i)
	}
	return jobs
}

// enqueue stores jobs at now and fails the test on error or on an unexpected duplicate.
func enqueue(t *testing.T, s store.Store, now int64, jobs ...*store.Job) {
	t.Helper()
	res, err := s.Enqueue(t.Context(), now, jobs)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if len(res) != len(jobs) {
		t.Fatalf("Enqueue returned %d results for %d jobs", len(res), len(jobs))
	}
	for i, r := range res {
		if r.Duplicate || r.ID != jobs[i].ID {
			t.Fatalf("Enqueue result %d = %+v, want id %s, not duplicate", i, r, jobs[i].ID)
		}
	}
}

// enqueueOne enqueues j at now and returns its single result, failing the test on error.
func enqueueOne(t *testing.T, s store.Store, now int64, j *store.Job) store.EnqueueResult {
	t.Helper()
	res, err := s.Enqueue(t.Context(), now, []*store.Job{j})
	if err != nil || len(res) != 1 {
		t.Fatalf("Enqueue(%s) = %+v, %v; want one result", j.ID, res, err)
	}
	return res[0]
}

// finish enqueues len(finishedAt) jobs of tier at Base with retainMs, claims them, and ends
// the i-th at finishedAt[i] with kind (AckComplete or AckFail), in the order given. The tier
// must hold no other runnable job. It returns the jobs as enqueued.
func finish(t *testing.T, s store.Store, tier store.Tier, kind store.AckKind, retainMs int64, finishedAt ...int64) []*store.Job {
	t.Helper()
	jobs := newJobs(len(finishedAt), tier, Base)
	for _, j := range jobs {
		j.RetainMs = retainMs
	}
	enqueue(t, s, Base, jobs...)
	wantIDs(t, "claim before finishing", fetch(t, s, tier, len(jobs), Base).Jobs, jobs...)
	for i, j := range jobs {
		ack(t, s, store.Ack{Kind: kind, ID: j.ID, Now: finishedAt[i], Error: "finished by the test"})
	}
	return jobs
}

// counts returns tier's counts, failing the test on error.
func counts(t *testing.T, s store.Store, tier store.Tier) store.Counts {
	t.Helper()
	all, err := s.Counts(t.Context())
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	return all[tier.Index()]
}

// wantErrIs fails the test unless err wraps target.
func wantErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s returned %v, want an error wrapping %v", what, err, target)
	}
}

// wantUnchanged fails the test unless every job in before is stored exactly as it was.
func wantUnchanged(t *testing.T, s store.Store, before ...*store.Job) {
	t.Helper()
	for _, want := range before {
		wantJob(t, s, want)
	}
}

// fetch claims up to limit jobs of tier at now with DefaultLeaseMs and no cap.
func fetch(t *testing.T, s store.Store, tier store.Tier, limit int, now int64) store.FetchResult {
	t.Helper()
	return fetchReq(t, s, store.FetchRequest{Tier: tier, Limit: limit, Now: now, LeaseMs: DefaultLeaseMs, Owner: "storetest"})
}

// fetchReq runs one Fetch and fails the test on error.
func fetchReq(t *testing.T, s store.Store, req store.FetchRequest) store.FetchResult {
	t.Helper()
	res, err := s.Fetch(t.Context(), req)
	if err != nil {
		t.Fatalf("Fetch(%+v): %v", req, err)
	}
	return res
}

// ack applies acks and fails the test on error.
func ack(t *testing.T, s store.Store, acks ...store.Ack) {
	t.Helper()
	if err := s.Ack(t.Context(), acks); err != nil {
		t.Fatalf("Ack: %v", err)
	}
}

// get returns the job with id and fails the test if it is missing.
func get(t *testing.T, s store.Store, id string) *store.Job {
	t.Helper()
	j, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return j
}

// wantGone fails the test unless Get(id) reports store.ErrNotFound.
func wantGone(t *testing.T, s store.Store, id string) {
	t.Helper()
	j, err := s.Get(t.Context(), id)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%s) = %+v, %v; want an error wrapping ErrNotFound", id, j, err)
	}
}

// wantCounts fails the test unless tier's counts equal want.
func wantCounts(t *testing.T, s store.Store, tier store.Tier, want store.Counts) {
	t.Helper()
	if got := counts(t, s, tier); got != want {
		t.Fatalf("Counts[%s] = %+v, want %+v", tier, got, want)
	}
}

// ids returns the ids of jobs, in order.
func ids(jobs []*store.Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

// wantIDs fails the test unless got holds exactly the ids of want, in order.
func wantIDs(t *testing.T, what string, got []*store.Job, want ...*store.Job) {
	t.Helper()
	g, w := ids(got), ids(want)
	if fmt.Sprint(g) != fmt.Sprint(w) {
		t.Fatalf("%s: got ids %v, want %v", what, g, w)
	}
}

// jobDiff lists the fields in which got differs from want; nil and empty byte slices are equal.
func jobDiff(want, got *store.Job) []string {
	var d []string
	check := func(name string, eq bool, w, g any) {
		if !eq {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	check("ID", want.ID == got.ID, want.ID, got.ID)
	check("Type", want.Type == got.Type, want.Type, got.Type)
	check("Tier", want.Tier == got.Tier, want.Tier, got.Tier)
	check("Payload", bytes.Equal(want.Payload, got.Payload), len(want.Payload), len(got.Payload))
	check("State", want.State == got.State, want.State, got.State)
	check("Attempts", want.Attempts == got.Attempts, want.Attempts, got.Attempts)
	check("MaxAttempts", want.MaxAttempts == got.MaxAttempts, want.MaxAttempts, got.MaxAttempts)
	check("TimeoutMs", want.TimeoutMs == got.TimeoutMs, want.TimeoutMs, got.TimeoutMs)
	check("BackoffMs", want.BackoffMs == got.BackoffMs, want.BackoffMs, got.BackoffMs)
	check("RunAt", want.RunAt == got.RunAt, want.RunAt, got.RunAt)
	check("CreatedAt", want.CreatedAt == got.CreatedAt, want.CreatedAt, got.CreatedAt)
	check("StartedAt", want.StartedAt == got.StartedAt, want.StartedAt, got.StartedAt)
	check("FinishedAt", want.FinishedAt == got.FinishedAt, want.FinishedAt, got.FinishedAt)
	check("LeaseUntil", want.LeaseUntil == got.LeaseUntil, want.LeaseUntil, got.LeaseUntil)
	check("LastError", want.LastError == got.LastError, want.LastError, got.LastError)
	check("UniqueKey", want.UniqueKey == got.UniqueKey, want.UniqueKey, got.UniqueKey)
	check("UniqueTTLMs", want.UniqueTTLMs == got.UniqueTTLMs, want.UniqueTTLMs, got.UniqueTTLMs)
	check("RetainMs", want.RetainMs == got.RetainMs, want.RetainMs, got.RetainMs)
	check("Result", bytes.Equal(want.Result, got.Result), string(want.Result), string(got.Result))
	return d
}

// wantJob fails the test unless the stored job equals want field by field.
func wantJob(t *testing.T, s store.Store, want *store.Job) {
	t.Helper()
	if d := jobDiff(want, get(t, s, want.ID)); d != nil {
		t.Fatalf("Get(%s) differs:\n%v", want.ID, d)
	}
}

// clone returns a copy of j that the test may change.
func clone(j *store.Job) *store.Job {
	c := *j
	c.Payload = bytes.Clone(j.Payload)
	c.Result = bytes.Clone(j.Result)
	return &c
}

// promptDeadline bounds how long a check waits for Wait to return after its cause; it is far
// below the d the check passes to Wait, so returning only at d fails the check.
const promptDeadline = 2 * time.Second

// longWait is the d the Wait checks pass when they expect a wake-up before it.
const longWait = 30 * time.Second

// retrigger is how often a Wait check repeats its trigger while the waiter may not yet be
// registered (a cause that happens before Wait starts need not wake it).
const retrigger = 100 * time.Millisecond

// quietWindow is how long a Wait check watches for a wake-up that must not happen.
const quietWindow = 150 * time.Millisecond
