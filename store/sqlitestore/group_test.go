package sqlitestore

import (
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

// groupEnqueues holds the writer lock, starts one Enqueue per batch (queued in that order),
// then frees the lock so that all of them run as one group, and returns their outcomes and
// how many commits they took.
func groupEnqueues(t *testing.T, s *Store, batches ...[]*store.Job) ([]enqueueOutcome, uint64) {
	t.Helper()
	before := s.sync.committed.Load()
	s.wmu.lock(lowestPriority)
	chans := make([]chan enqueueOutcome, len(batches))
	for i, jobs := range batches {
		chans[i] = make(chan enqueueOutcome, 1)
		go func() {
			res, err := s.Enqueue(t.Context(), storetest.Base, jobs)
			chans[i] <- enqueueOutcome{res, err}
		}()
		untilPending(t, s, i+1)
	}
	s.wmu.unlock()
	out := make([]enqueueOutcome, len(batches))
	for i, ch := range chans {
		out[i] = <-ch
	}
	return out, s.sync.committed.Load() - before
}

func TestGroupCommitKeepsEachCallAtomic(t *testing.T) {
	t.Parallel()
	s := openInternal(t, Options{})
	ctx := t.Context()
	old := testJob(store.Low)
	if _, err := s.Enqueue(ctx, storetest.Base, []*store.Job{old}); err != nil {
		t.Fatal(err)
	}
	a, b, clash, c := testJob(store.Low), testJob(store.Low), testJob(store.Low), testJob(store.Critical)
	clash.ID = old.ID // the second call fails on its second job
	out, commits := groupEnqueues(t, s, []*store.Job{a}, []*store.Job{b, clash}, []*store.Job{c})
	if commits != 1 {
		t.Fatalf("three concurrent enqueues took %d commits, want 1 (one group)", commits)
	}
	if out[0].err != nil || out[2].err != nil {
		t.Fatalf("the calls without a fault failed: %v, %v", out[0].err, out[2].err)
	}
	if out[1].err == nil || out[1].res != nil {
		t.Fatalf("the call with a clashing id = %v, %v; want an error and no results", out[1].res, out[1].err)
	}
	if out[0].res[0].ID != a.ID || out[2].res[0].ID != c.ID {
		t.Fatalf("results %+v, %+v; want the ids of their own calls", out[0].res, out[2].res)
	}
	for _, j := range []*store.Job{a, c} {
		if _, err := s.Get(ctx, j.ID); err != nil {
			t.Fatalf("job of a successful call in the group: %v", err)
		}
	}
	if _, err := s.Get(ctx, b.ID); err == nil {
		t.Fatal("the failed call's first job was stored: a call must commit all its jobs or none")
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
	out, commits := groupEnqueues(t, s, []*store.Job{first}, []*store.Job{second})
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
	go func() { _, err := s.Enqueue(ctx, storetest.Base, []*store.Job{j}); bad <- err }() // same id again
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
	if err := <-bad; err == nil {
		t.Fatal("enqueueing an id twice succeeded")
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
		if err := s.Ack(ctx, []store.Ack{{Kind: store.AckComplete, ID: j.ID, Tier: store.Medium, Now: storetest.Base}}); err != nil {
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
