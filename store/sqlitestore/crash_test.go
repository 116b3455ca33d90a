package sqlitestore_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// crashPathEnv names the file TestCrashChild works on; the child runs only when it is set.
const crashPathEnv = "SLAQ_SQLITESTORE_CRASH_PATH"

// Numbers of jobs the child leaves in each state before it is killed.
const (
	crashWaiting   = 300
	crashActive    = 20
	crashCompleted = 30
	crashLeaseMs   = 10_000
)

// TestCrashChild is the process TestSurvivesKill kills: it enqueues, claims and completes
// jobs, pauses BATCH, prints "ready" and blocks until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashPathEnv)
	if path == "" {
		t.Skip("runs only as the child of TestSurvivesKill")
	}
	ctx := t.Context()
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	jobs := benchJobs(crashWaiting+crashActive+crashCompleted, store.Critical, base)
	if _, err := s.Enqueue(ctx, base, jobs); err != nil {
		t.Fatal(err)
	}
	r, err := s.Fetch(ctx, store.FetchRequest{Tier: store.Critical, Limit: crashActive + crashCompleted, Now: base, LeaseMs: crashLeaseMs})
	if err != nil {
		t.Fatal(err)
	}
	var acks []store.Ack
	for _, j := range r.Jobs[:crashCompleted] {
		acks = append(acks, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: base + 1})
	}
	if err := s.Ack(ctx, acks); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPaused(ctx, store.Batch, true); err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	select {} // killed here, with the store open
}

// TestSurvivesKill kills (SIGKILL) a process in the middle of its work and checks that a new
// process finds every acknowledged change: jobs, counts, pause flag; the jobs that were
// active come back through Rescue once their lease ends, with no attempt spent.
func TestSurvivesKill(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "slaq.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashPathEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := false
	for sc := bufio.NewScanner(out); sc.Scan(); {
		if strings.TrimSpace(sc.Text()) == "ready" {
			ready = true
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if !ready {
		t.Fatal("the child exited before it was ready")
	}

	s := openAt(t, path, sqlitestore.Options{})
	c, err := s.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := store.Counts{Waiting: crashWaiting, Active: crashActive, Completed: crashCompleted}
	if c[store.Critical.Index()] != want || !c[store.Batch.Index()].Paused {
		t.Fatalf("after the kill: CRITICAL %+v, BATCH paused %v; want %+v, paused", c[store.Critical.Index()], c[store.Batch.Index()].Paused, want)
	}
	if n, err := s.Rescue(t.Context(), store.Critical, base+crashLeaseMs); err != nil || n != 0 {
		t.Fatalf("Rescue while leases last = %d, %v; want 0", n, err)
	}
	if n, err := s.Rescue(t.Context(), store.Critical, base+crashLeaseMs+1); err != nil || n != crashActive {
		t.Fatalf("Rescue after the leases ended = %d, %v; want %d", n, err, crashActive)
	}
	r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: store.Critical, Limit: 1_000, Now: base + crashLeaseMs + 2, LeaseMs: 1_000})
	if err != nil || len(r.Jobs) != crashWaiting+crashActive {
		t.Fatalf("Fetch after the rescue = %d jobs, %v; want %d", len(r.Jobs), err, crashWaiting+crashActive)
	}
	for _, j := range r.Jobs {
		if j.Attempts != 0 {
			t.Fatalf("job %s has %d attempts; a crash spends none", j.ID, j.Attempts)
		}
	}
}
