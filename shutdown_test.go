package slaq_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"
)

// Stop lets a job that finishes within the grace period complete, and hands back one that
// does not, without spending an attempt.
func TestGracefulShutdownHandsBackUnfinishedJobs(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		st := open(t)
		quick, slow := newGate(), newGate()
		mux := slaq.NewServeMux()
		mux.HandleFunc("quick", func(ctx context.Context, j *slaq.Job) error { return quick.wait(ctx, j.ID) })
		mux.HandleFunc("slow", func(ctx context.Context, j *slaq.Job) error { return slow.wait(ctx, j.ID) })
		c, err := slaq.New(st, slaq.Config{Handler: mux, ShutdownGrace: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		qid, _ := c.Enqueue(ctx, "quick", nil, slaq.WithTier(slaq.High))
		sid, _ := c.Enqueue(ctx, "slow", nil, slaq.WithTier(slaq.High))
		quick.expectEntered(t, 1)
		slow.expectEntered(t, 1)
		stopped := make(chan error)
		go func() { stopped <- c.Stop(ctx) }()
		quick.release() // finishes within the grace period
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		q, err := st.Get(ctx, qid)
		if err != nil || q.State != store.StateCompleted {
			t.Fatalf("quick job: %+v, %v", q, err)
		}
		s, err := st.Get(ctx, sid)
		if err != nil || s.State != store.StateWaiting || s.Attempts != 0 {
			t.Fatalf("slow job after shutdown: %+v, %v; want waiting with 0 attempts", s, err)
		}
		// A new client picks it up.
		slow.release()
		c2 := newClient(t, st, slaq.Config{Handler: mux})
		waitState(t, c2, sid, store.StateCompleted)
	})
}

// The child half of TestKilledProcessJobRunsAgain: it works the store at SLAQ_CHILD_DB, says
// "started <id>" on stdout when its handler runs, and blocks until it is killed.
func TestChildProcess(t *testing.T) {
	path := os.Getenv("SLAQ_CHILD_DB")
	if path == "" {
		return // not running as the child
	}
	st := openEmbeddedAt(t, path)
	mux := slaq.NewServeMux()
	mux.HandleFunc("report", func(ctx context.Context, j *slaq.Job) error {
		os.Stdout.WriteString("started " + j.ID + "\n")
		<-ctx.Done()
		return ctx.Err()
	})
	newClient(t, st, slaq.Config{Handler: mux, Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Low: {Lease: 300 * time.Millisecond}}})
	select {} // until SIGKILL
}

// A worker process killed with SIGKILL mid-job: on the next start the job runs again once its
// lease has lapsed, without spending an attempt.
func TestKilledProcessJobRunsAgain(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "slaq.db")
	{
		st := openEmbeddedAt(t, path)
		c := newClient(t, st, slaq.Config{})
		if _, err := c.Enqueue(context.Background(), "report", nil, slaq.WithTier(slaq.Low), slaq.MaxAttempts(1)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "SLAQ_CHILD_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	var id string
	for lines.Scan() {
		if s, ok := strings.CutPrefix(lines.Text(), "started "); ok {
			id = s
			break
		}
	}
	if id == "" {
		_ = cmd.Process.Kill()
		t.Fatal("child never started the job")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child did not die of the kill: %v", err)
	}

	st := openEmbeddedAt(t, path)
	j, err := st.Get(context.Background(), id)
	if err != nil || j.State != store.StateActive {
		t.Fatalf("after the kill the job should still be active under its lease: %+v, %v", j, err)
	}
	done := make(chan *slaq.Job, 1)
	mux := slaq.NewServeMux()
	mux.HandleFunc("report", func(ctx context.Context, j *slaq.Job) error { done <- j; return nil })
	c := newClient(t, st, slaq.Config{Handler: mux, Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Low: {Lease: 300 * time.Millisecond}}})
	select {
	case j := <-done:
		if j.ID != id || j.Attempts != 0 {
			t.Fatalf("rerun job %s with %d attempts spent; want %s with 0", j.ID, j.Attempts, id)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the killed process's job never ran again")
	}
	waitState(t, c, id, store.StateCompleted)
}
