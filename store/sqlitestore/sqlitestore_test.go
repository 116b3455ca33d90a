package sqlitestore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/sqlitestore"
	"github.com/slaqhq/slaq/store/storetest"
)

// openAt opens the store at path with opts and closes it when the test ends.
func openAt(t *testing.T, path string, opts sqlitestore.Options) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, filepath.Join(t.TempDir(), "slaq.db"), sqlitestore.Options{})
	})
}

// TestSharedConformance runs the two-handle checks on two Stores opening one file, as two
// processes sharing it would.
func TestSharedConformance(t *testing.T) {
	t.Parallel()
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "slaq.db")
		return openAt(t, path, sqlitestore.Options{}), openAt(t, path, sqlitestore.Options{})
	})
}

// base is the fixed "now" of these tests, in Unix ms.
const base = storetest.Base

// Intervals of the wake-up tests. None is waited on for a result: each bounds a wait
// that must end sooner, or paces a repeated trigger.
const (
	fastExternalCheck = 20 * time.Millisecond  // ExternalChangeInterval of the shared-file test
	retrigger         = 100 * time.Millisecond // how often a trigger repeats until Wait returns
	promptDeadline    = 5 * time.Second        // Wait must have returned by then
	quietWindow       = 200 * time.Millisecond // a Wait that must not return is watched this long
	longWait          = time.Minute            // d of a Wait expected to return before it
)

// job returns a runnable job of tier at base.
func job(tier store.Tier) *store.Job {
	return &store.Job{
		ID: store.NewID(tier, base), Type: "t", Tier: tier, Payload: []byte(`{}`),
		MaxAttempts: 2, TimeoutMs: 1_000, RunAt: base, CreatedAt: base,
	}
}

// TestDurableAcrossReopen closes a store mid-work (as a crash would leave it: active jobs
// with leases) and checks that a new Store on the same file sees every job, count and
// pause flag, and that Rescue brings the active jobs back once their leases end.
func TestDurableAcrossReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "slaq.db")
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	waiting, active, done := job(store.High), job(store.High), job(store.High)
	delayed := job(store.Low)
	delayed.RunAt = base + 60_000
	done.RetainMs = 60_000
	if _, err := s.Enqueue(ctx, base, []*store.Job{active, done, waiting, delayed}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Fetch(ctx, store.FetchRequest{Tier: store.High, Limit: 2, Now: base, LeaseMs: 5_000}); err != nil || len(r.Jobs) != 2 {
		t.Fatalf("Fetch = %d jobs, %v; want 2", len(r.Jobs), err)
	}
	if err := s.Ack(ctx, []store.Ack{{Kind: store.AckComplete, ID: done.ID, Now: base + 1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPaused(ctx, store.Batch, true); err != nil {
		t.Fatal(err)
	}
	before, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := openAt(t, path, sqlitestore.Options{})
	after, err := s2.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := before
	want[store.High.Index()] = store.Counts{Waiting: 1, Active: 1, Completed: 1}
	want[store.Low.Index()] = store.Counts{Delayed: 1}
	want[store.Batch.Index()] = store.Counts{Paused: true}
	if after != want || before != want {
		t.Fatalf("counts before close %+v, after reopen %+v; want %+v", before, after, want)
	}
	for _, j := range []*store.Job{waiting, active, done, delayed} {
		if _, err := s2.Get(ctx, j.ID); err != nil {
			t.Fatalf("job %s lost across reopen: %v", j.ID, err)
		}
	}
	if n, err := s2.Rescue(ctx, store.High, base+5_000); err != nil || n != 0 {
		t.Fatalf("Rescue before the lease ends = %d, %v; want 0", n, err)
	}
	if n, err := s2.Rescue(ctx, store.High, base+5_001); err != nil || n != 1 {
		t.Fatalf("Rescue after the lease ended = %d, %v; want 1", n, err)
	}
	r, err := s2.Fetch(ctx, store.FetchRequest{Tier: store.High, Limit: 10, Now: base + 6_000, LeaseMs: 5_000})
	if err != nil || len(r.Jobs) != 2 {
		t.Fatalf("Fetch after rescue = %d jobs, %v; want 2", len(r.Jobs), err)
	}
	for _, j := range r.Jobs {
		if j.Attempts != 0 {
			t.Fatalf("job %s has %d attempts after a crash; a crash spends none", j.ID, j.Attempts)
		}
	}
}

// TestSharedFileWakesOtherProcess opens two stores on one file, as two processes would,
// and checks that an enqueue through one wakes a Wait on the other through the
// external-change check, and that both see the same jobs.
func TestSharedFileWakesOtherProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "slaq.db")
	opts := sqlitestore.Options{ExternalChangeInterval: fastExternalCheck}
	a, b := openAt(t, path, opts), openAt(t, path, opts)
	done := make(chan error, 1)
	go func() { done <- b.Wait(t.Context(), store.Critical, longWait) }()
	// The Wait may start after the enqueue (then nothing would wake it), so enqueue again
	// until it returns; each enqueue changes the file.
	again := time.NewTicker(retrigger)
	defer again.Stop()
	deadline := time.After(promptDeadline)
	var sent []*store.Job
	for woken := false; !woken; {
		j := job(store.Critical)
		if _, err := a.Enqueue(t.Context(), base, []*store.Job{j}); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, j)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Wait = %v, want nil", err)
			}
			woken = true
		case <-again.C:
		case <-deadline:
			t.Fatal("Wait on the second store was not woken by the first store's enqueue")
		}
	}
	r, err := b.Fetch(t.Context(), store.FetchRequest{Tier: store.Critical, Limit: 100, Now: base, LeaseMs: 1_000})
	if err != nil || len(r.Jobs) != len(sent) {
		t.Fatalf("second store fetched %d jobs, %v; want %d", len(r.Jobs), err, len(sent))
	}
	counts, err := a.Counts(t.Context())
	if err != nil || counts[store.Critical.Index()].Active != int64(len(sent)) {
		t.Fatalf("first store counts %+v, %v; want %d active", counts[store.Critical.Index()], err, len(sent))
	}
}

// TestExternalCheckDisabled checks that without the external-change check a second store's
// Wait is not woken by the first store's enqueue, so the test above measures the check.
func TestExternalCheckDisabled(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "slaq.db")
	opts := sqlitestore.Options{ExternalChangeInterval: -1}
	a, b := openAt(t, path, opts), openAt(t, path, opts)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Wait(ctx, store.Critical, longWait) }()
	if _, err := a.Enqueue(t.Context(), base, []*store.Job{job(store.Critical)}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("Wait returned %v without an external-change check", err)
	case <-time.After(quietWindow):
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path string
		opts sqlitestore.Options
	}{
		{"empty path", "", sqlitestore.Options{}},
		{"query in path", filepath.Join(t.TempDir(), "a.db?mode=ro"), sqlitestore.Options{}},
		{"bad synchronous", filepath.Join(t.TempDir(), "a.db"), sqlitestore.Options{Synchronous: "SOMETIMES"}},
	}
	for _, tc := range tests {
		if s, err := sqlitestore.Open(t.Context(), tc.path, tc.opts); err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded, want an error", tc.name)
		}
	}
}

// TestWakeBeforeWaitNotLost checks that a wake-up fired after a Fetch of the tier began but
// before the following Wait makes that Wait return at once: the gap between an engine's
// empty Fetch and its Wait loses no enqueue.
func TestWakeBeforeWaitNotLost(t *testing.T) {
	t.Parallel()
	s := openAt(t, filepath.Join(t.TempDir(), "slaq.db"), sqlitestore.Options{ExternalChangeInterval: -1})
	r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: store.High, Limit: 1, Now: base, LeaseMs: 1_000})
	if err != nil || len(r.Jobs) != 0 {
		t.Fatalf("Fetch of an empty tier = %d jobs, %v", len(r.Jobs), err)
	}
	if _, err := s.Enqueue(t.Context(), base, []*store.Job{job(store.High)}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait(t.Context(), store.High, longWait) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Wait = %v, want nil", err)
		}
	case <-time.After(promptDeadline):
		t.Fatal("Wait blocked although the tier got a job after its latest Fetch")
	}
}
