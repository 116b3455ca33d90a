package sqlitestore

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// checkpointDeadline bounds how long a test lets the checkpointer take to react; the tests
// wait for its signal, never for this long.
const checkpointDeadline = 10 * time.Second

// openCkpt opens a store at a new file with opts and closes it when the test ends.
func openCkpt(t *testing.T, opts Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "slaq.db")
	opts.ExternalChangeInterval = -1
	s, err := Open(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if s.ckpt == nil {
		t.Fatal("no background checkpointer")
	}
	return s, path
}

// burst enqueues n runnable jobs of tier in one call.
func burst(t *testing.T, s *Store, tier store.Tier, n int) {
	t.Helper()
	jobs := make([]*store.Job, n)
	for i := range jobs {
		jobs[i] = &store.Job{ID: store.NewID(tier, 1), Type: "t", Tier: tier, Payload: []byte(`{"x":"0123456789"}`),
			MaxAttempts: 1, RunAt: 1, CreatedAt: 1}
	}
	if _, err := s.Enqueue(t.Context(), 1, jobs); err != nil {
		t.Fatal(err)
	}
}

// waitCheckpoint waits for the checkpointer to end a round of checkpoints.
func waitCheckpoint(t *testing.T, c *checkpointer) {
	t.Helper()
	select {
	case <-c.ran:
	case <-time.After(checkpointDeadline):
		t.Fatalf("no checkpoint within %v", checkpointDeadline)
	}
}

// TestCheckpointerCopiesBurst: a burst past CheckpointPages is copied into the database by
// the background checkpointer, not by the commit, and the next write starts the WAL over.
func TestCheckpointerCopiesBurst(t *testing.T) {
	t.Parallel()
	s, _ := openCkpt(t, Options{CheckpointPages: 20, WALRestartPages: -1})
	var auto int
	if err := s.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer's wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	burst(t, s, store.Low, 2_000)
	waitCheckpoint(t, s.ckpt)
	frames, backfilled, err := s.ckpt.walFrames()
	if err != nil {
		t.Fatal(err)
	}
	if frames < 20 || backfilled != frames {
		t.Fatalf("after the burst and a checkpoint: %d frames, %d copied; want >= 20, all copied", frames, backfilled)
	}
	burst(t, s, store.Low, 1) // starts the WAL over
	after, _, err := s.ckpt.walFrames()
	if err != nil {
		t.Fatal(err)
	}
	if after >= frames {
		t.Fatalf("the WAL did not start over: %d frames after one more write, %d before", after, frames)
	}
	c, err := s.Counts(t.Context())
	if err != nil || c[store.Low.Index()].Waiting != 2_001 {
		t.Fatalf("Counts = %+v, %v; want 2001 waiting", c[store.Low.Index()], err)
	}
}

// TestCheckpointerTruncatesLargeWAL: a WAL past WALRestartPages is emptied once the store is
// idle, and what it held stays readable.
func TestCheckpointerTruncatesLargeWAL(t *testing.T) {
	t.Parallel()
	s, path := openCkpt(t, Options{CheckpointPages: 1_000_000, WALRestartPages: 20})
	burst(t, s, store.High, 2_000)
	for s.ckpt.restarts.Load() == 0 {
		waitCheckpoint(t, s.ckpt)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil || fi.Size() != 0 {
		t.Fatalf("WAL after the truncation: %v, %v; want an empty file", fi, err)
	}
	c, err := s.Counts(t.Context())
	if err != nil || c[store.High.Index()].Waiting != 2_000 {
		t.Fatalf("Counts = %+v, %v; want 2000 waiting", c[store.High.Index()], err)
	}
}

// TestCheckpointerStopsOnClose: Close returns only once the checkpointer has stopped.
func TestCheckpointerStopsOnClose(t *testing.T) {
	t.Parallel()
	s, _ := openCkpt(t, Options{CheckpointPages: 1, WALRestartPages: 2})
	burst(t, s, store.Batch, 500)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.ckpt.stopped:
	default:
		t.Fatal("the checkpointer still runs after Close")
	}
}

// TestCheckpointerOff: a negative CheckpointPages leaves SQLite's own checkpoints on.
func TestCheckpointerOff(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "slaq.db"), Options{CheckpointPages: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var auto int
	if err := s.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != DefaultCheckpointPages {
		t.Fatalf("wal_autocheckpoint = %d, %v; want SQLite's %d", auto, err, DefaultCheckpointPages)
	}
	if s.ckpt != nil {
		t.Fatal("a background checkpointer runs with CheckpointPages < 0")
	}
}
