package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/storetest"
)

// groupDeadline bounds the polling loops of these tests; none waits for a result by time.
const groupDeadline = 5 * time.Second

// openInternal opens a store on a fresh file and closes it when the test ends.
func openInternal(t *testing.T, opts Options) *Store {
	t.Helper()
	opts.ExternalChangeInterval = -1
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "slaq.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testJob returns a runnable job of tier at storetest.Base.
func testJob(tier store.Tier) *store.Job {
	return &store.Job{
		ID: store.NewID(tier, storetest.Base), Type: "t", Tier: tier, Payload: []byte(`{}`),
		MaxAttempts: 1, RunAt: storetest.Base, CreatedAt: storetest.Base,
	}
}

// pendingWrites returns how many write calls wait in the queue.
func pendingWrites(s *Store) int {
	s.queue.mu.Lock()
	defer s.queue.mu.Unlock()
	n := 0
	for _, q := range s.queue.pending {
		n += len(q)
	}
	return n
}

// untilPending waits until n write calls are queued, failing the test after a deadline.
func untilPending(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(groupDeadline)
	for pendingWrites(s) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d write calls queued, want %d", pendingWrites(s), n)
		}
		runtime.Gosched()
	}
}

type enqueueOutcome struct {
	res []store.EnqueueResult
	err error
}

// groupEnqueues holds the writer lock, starts one enqueue call per batch (queued in that
// order; a nil enqueue is Store.Enqueue), then frees the lock so that all of them run as one
// group, and returns their outcomes and how many commits they took.
func groupEnqueues(t *testing.T, s *Store, calls ...enqueueCall) ([]enqueueOutcome, uint64) {
	t.Helper()
	before := s.sync.committed.Load()
	s.wmu.lock(lowestPriority)
	chans := make([]chan enqueueOutcome, len(calls))
	for i, c := range calls {
		chans[i] = make(chan enqueueOutcome, 1)
		enqueue := c.enqueue
		if enqueue == nil {
			enqueue = s.Enqueue
		}
		go func() {
			res, err := enqueue(t.Context(), storetest.Base, c.jobs)
			chans[i] <- enqueueOutcome{res, err}
		}()
		untilPending(t, s, i+1)
	}
	s.wmu.unlock()
	out := make([]enqueueOutcome, len(calls))
	for i, ch := range chans {
		out[i] = <-ch
	}
	return out, s.sync.committed.Load() - before
}

// enqueueCall is one call of groupEnqueues.
type enqueueCall struct {
	jobs    []*store.Job
	enqueue func(ctx context.Context, now int64, jobs []*store.Job) ([]store.EnqueueResult, error)
}

// errInjected is the fault of faultyEnqueue.
var errInjected = errors.New("injected fault")

// faultyEnqueue is a write call that stores jobs and their counts as Enqueue does, then
// fails: its group must undo all of it and nothing of the other calls.
func (s *Store) faultyEnqueue(ctx context.Context, now int64, jobs []*store.Job) ([]store.EnqueueResult, error) {
	op := writeOp{name: "faulty enqueue", priority: enqueuePriority(jobs), cost: len(jobs)}
	return nil, s.write(ctx, op, func(tx *sql.Tx, _ *tierSet) error {
		stmts := txStmts{tx: tx}
		var d deltas
		for _, j := range jobs {
			var res store.EnqueueResult
			if _, err := s.enqueueOne(&stmts, now, j, &res); err != nil {
				return err
			}
			d[j.Tier.Index()].waiting++
		}
		if err := d.apply(tx, s.stmt.addCounts); err != nil {
			return err
		}
		return errInjected
	})
}

func TestGroupCommitKeepsEachCallAtomic(t *testing.T) {
	t.Parallel()
	s := openInternal(t, Options{})
	ctx := t.Context()
	old := testJob(store.Low)
	if _, err := s.Enqueue(ctx, storetest.Base, []*store.Job{old}); err != nil {
		t.Fatal(err)
	}
	a, b, b2, c := testJob(store.Low), testJob(store.Low), testJob(store.Low), testJob(store.Critical)
	// The second call stores two jobs, then fails.
	out, commits := groupEnqueues(t, s, enqueueCall{jobs: []*store.Job{a}},
		enqueueCall{jobs: []*store.Job{b, b2}, enqueue: s.faultyEnqueue}, enqueueCall{jobs: []*store.Job{c}})
	if commits != 1 {
		t.Fatalf("three concurrent enqueues took %d commits, want 1 (one group)", commits)
	}
	if out[0].err != nil || out[2].err != nil {
		t.Fatalf("the calls without a fault failed: %v, %v", out[0].err, out[2].err)
	}
	if !errors.Is(out[1].err, errInjected) {
		t.Fatalf("the faulty call = %v, want its own fault", out[1].err)
	}
	if out[0].res[0].ID != a.ID || out[2].res[0].ID != c.ID {
		t.Fatalf("results %+v, %+v; want the ids of their own calls", out[0].res, out[2].res)
	}
	for _, j := range []*store.Job{a, c} {
		if _, err := s.Get(ctx, j.ID); err != nil {
			t.Fatalf("job of a successful call in the group: %v", err)
		}
	}
	for _, j := range []*store.Job{b, b2} {
		if _, err := s.Get(ctx, j.ID); err == nil {
			t.Fatal("a job of the failed call was stored: a call must commit all its jobs or none")
		}
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[store.Low.Index()].Waiting; got != 2 {
		t.Fatalf("LOW waiting = %d, want 2 (the old job and the first call's)", got)
	}
	if got := counts[store.Critical.Index()].Waiting; got != 1 {
		t.Fatalf("CRITICAL waiting = %d, want 1", got)
	}
}

func TestGroupCommitUniqueKeyAcrossCalls(t *testing.T) {
	t.Parallel()
	s := openInternal(t, Options{})
	first, second := testJob(store.High), testJob(store.High)
	for _, j := range []*store.Job{first, second} {
		j.UniqueKey, j.UniqueTTLMs = "reset:42", 60_000
	}
	out, commits := groupEnqueues(t, s, enqueueCall{jobs: []*store.Job{first}}, enqueueCall{jobs: []*store.Job{second}})
	if commits != 1 {
		t.Fatalf("two concurrent enqueues took %d commits, want 1 (one group)", commits)
	}
	for i, o := range out {
		if o.err != nil {
			t.Fatalf("call %d: %v", i, o.err)
		}
	}
	if out[0].res[0] != (store.EnqueueResult{ID: first.ID}) {
		t.Fatalf("first call = %+v, want it stored", out[0].res[0])
	}
	if out[1].res[0] != (store.EnqueueResult{ID: first.ID, Duplicate: true}) {
		t.Fatalf("second call = %+v, want a duplicate of %s", out[1].res[0], first.ID)
	}
	counts, err := s.Counts(t.Context())
	if err != nil || counts[store.High.Index()].Waiting != 1 {
		t.Fatalf("HIGH counts %+v, %v; want one waiting job", counts[store.High.Index()], err)
	}
}

// TestGroupCommitFetchSeesEarlierEnqueue checks that a fetch grouped after an enqueue of
// its tier claims the job in the same commit, and a failing call does not fail the fetch.
func TestGroupCommitFetchSeesEarlierEnqueue(t *testing.T) {
	t.Parallel()
	s := openInternal(t, Options{})
	ctx := t.Context()
	before := s.sync.committed.Load()
	s.wmu.lock(lowestPriority)
	j := testJob(store.Critical)
	enq := make(chan error, 1)
	go func() { _, err := s.Enqueue(ctx, storetest.Base, []*store.Job{j}); enq <- err }()
	untilPending(t, s, 1)
	bad := make(chan error, 1)
	go func() {
		_, err := s.faultyEnqueue(ctx, storetest.Base, []*store.Job{testJob(store.Critical)})
		bad <- err
	}()
	untilPending(t, s, 2)
	fetched := make(chan store.FetchResult, 1)
	go func() {
		r, err := s.Fetch(ctx, store.FetchRequest{Tier: store.Critical, Limit: 5, Now: storetest.Base, LeaseMs: 1_000})
		if err != nil {
			t.Error(err)
		}
		fetched <- r
	}()
	untilPending(t, s, 3)
	s.wmu.unlock()
	if err := <-enq; err != nil {
		t.Fatal(err)
	}
	if err := <-bad; !errors.Is(err, errInjected) {
		t.Fatalf("the faulty call = %v, want its own fault", err)
	}
	if r := <-fetched; len(r.Jobs) != 1 || r.Jobs[0].ID != j.ID {
		t.Fatalf("fetch claimed %d jobs, want the one enqueued before it in the group", len(r.Jobs))
	}
	if n := s.sync.committed.Load() - before; n != 1 {
		t.Fatalf("the group took %d commits, want 1", n)
	}
}

// TestDurableWritesWaitForFsync checks the durability policy: an Enqueue or SetPaused
// returns only once an fsync covered its commit; a Fetch or Ack does not wait for one,
// unless SyncEveryWrite is set.
func TestDurableWritesWaitForFsync(t *testing.T) {
	t.Parallel()
	for _, every := range []bool{false, true} {
		s := openInternal(t, Options{SyncEveryWrite: every})
		if s.sync == nil {
			t.Fatal("no WAL syncer on a WAL file with Synchronous FULL")
		}
		synced := func() bool {
			s.sync.mu.Lock()
			defer s.sync.mu.Unlock()
			return s.sync.synced == s.sync.committed.Load()
		}
		ctx := t.Context()
		j := testJob(store.Medium)
		if _, err := s.Enqueue(ctx, storetest.Base, []*store.Job{j}); err != nil {
			t.Fatal(err)
		}
		if !synced() {
			t.Fatal("Enqueue returned before its commit was fsynced")
		}
		if _, err := s.Fetch(ctx, store.FetchRequest{Tier: store.Medium, Limit: 1, Now: storetest.Base, LeaseMs: 1_000}); err != nil {
			t.Fatal(err)
		}
		if err := s.Ack(ctx, []store.Ack{{Kind: store.AckComplete, ID: j.ID, Now: storetest.Base}}); err != nil {
			t.Fatal(err)
		}
		if synced() != every {
			t.Fatalf("SyncEveryWrite %v: after Fetch and Ack every commit fsynced = %v", every, !every)
		}
		if err := s.SetPaused(ctx, store.Medium, true); err != nil {
			t.Fatal(err)
		}
		if !synced() {
			t.Fatal("SetPaused returned before its commit was fsynced")
		}
	}
}

// TestSynchronousExtraSyncsInCommit checks that Synchronous "EXTRA" keeps SQLite's own
// fsync in every commit (no WAL syncer).
func TestSynchronousExtraSyncsInCommit(t *testing.T) {
	t.Parallel()
	s := openInternal(t, Options{Synchronous: "extra"})
	if s.sync != nil {
		t.Fatal("Synchronous EXTRA set up the WAL syncer")
	}
	var level int
	if err := s.w.QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&level); err != nil || level != 3 {
		t.Fatalf("writer synchronous = %d, %v; want 3 (EXTRA)", level, err)
	}
}

// TestQueuedWriteHonoursContext checks that a write call waiting for the writer lock returns
// ctx's error once ctx is done, and never runs.
func TestQueuedWriteHonoursContext(t *testing.T) {
	t.Parallel()
	s := openInternal(t, Options{})
	s.wmu.lock(lowestPriority)
	unlocked := false
	defer func() {
		if !unlocked {
			s.wmu.unlock()
		}
	}()
	ctx, cancel := context.WithCancel(t.Context())
	j := testJob(store.Critical)
	done := make(chan error, 1)
	go func() { _, err := s.Enqueue(ctx, storetest.Base, []*store.Job{j}); done <- err }()
	untilPending(t, s, 1)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Enqueue cancelled while queued = %v, want context.Canceled", err)
		}
	case <-time.After(groupDeadline):
		t.Fatal("a queued Enqueue did not return after its context was cancelled")
	}
	if n := pendingWrites(s); n != 0 {
		t.Fatalf("%d write calls still queued, want 0", n)
	}
	s.wmu.unlock()
	unlocked = true
	if _, err := s.Get(t.Context(), j.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of the cancelled enqueue's job = %v, want ErrNotFound", err)
	}
	if _, err := s.Enqueue(t.Context(), storetest.Base, []*store.Job{testJob(store.Low)}); err != nil {
		t.Fatalf("Enqueue after a cancelled one: %v", err)
	}
}
