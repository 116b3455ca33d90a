package slaq_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/redisstore"
)

// Worker processes for the tests below are this test binary run again with SLAQ_CHILD set
// to "embedded:PATH" or "redis:PREFIX"; TestChildProcess is their main. A child prints
// "ready" as its client starts, "started ID" when a "hold" job starts (and blocks until it
// is killed), and "ran I" for every "count" job.
func TestChildProcess(t *testing.T) {
	spec := os.Getenv("SLAQ_CHILD")
	if spec == "" {
		t.Skip("runs only as a child of TestKilledProcessJobRunsAgain and TestManyProcessesShareOneRedis")
	}
	st := openChildStore(t, spec)
	var out sync.Mutex
	say := func(s string) { out.Lock(); fmt.Println(s); out.Unlock() }
	mux := slaq.NewServeMux()
	mux.HandleFunc("hold", func(ctx context.Context, j *slaq.Job) error {
		say("started " + j.ID)
		<-ctx.Done()
		return ctx.Err()
	})
	mux.HandleFunc("count", func(ctx context.Context, j *slaq.Job) error {
		var p struct{ I int }
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return err
		}
		time.Sleep(time.Millisecond) // a little work, so that every process gets some
		say(fmt.Sprintf("ran %d", p.I))
		return nil
	})
	// "limited" and "fast" jobs report the run's StartedAt (the fetch's clock) and pickup.
	for _, typ := range []string{"limited", "fast"} {
		mux.HandleFunc(typ, func(ctx context.Context, j *slaq.Job) error {
			say(fmt.Sprintf("%s %s %d %d", typ, j.ID, j.StartedAt, j.StartedAt-j.RunAt))
			return nil
		})
	}
	say("ready") // before Start: a job may start at once, and its line must come after this one
	newClient(t, st, slaq.Config{Handler: mux, Retention: slaq.None, Tiers: childTiers})
	select {} // until killed
}

// childTiers gives LOW a short lease so a killed child's job comes back quickly.
var childTiers = map[slaq.Tier]slaq.TierConfig{slaq.Low: {Lease: 300 * time.Millisecond}}

func openChildStore(t *testing.T, spec string) store.Store {
	kind, arg, _ := strings.Cut(spec, ":")
	if kind == "embedded" {
		return openEmbeddedAt(t, arg)
	}
	st, err := redisstore.New(context.Background(), redisstore.Options{Prefix: arg})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// openSharedRedis opens a test store on Redis and returns it with the spec that lets a child
// process open the same one.
func openSharedRedis(t *testing.T) (store.Store, string) {
	st := openRedis(t)
	return st, "redis:" + st.(*redisstore.Store).Prefix()
}

// openSharedEmbedded opens a test store in a new file and returns it with the spec that lets
// a child process open the same file.
func openSharedEmbedded(t *testing.T) (store.Store, string) {
	path := filepath.Join(t.TempDir(), "slaq.db")
	return openEmbeddedAt(t, path), "embedded:" + path
}

// child is a running worker process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startChild(t *testing.T, spec string) *child {
	t.Helper()
	return startChildEnv(t, "^TestChildProcess$", "SLAQ_CHILD="+spec)
}

// startChildEnv runs this test binary's test named by run (a -test.run pattern) with env
// added, and returns once it said "ready".
func startChildEnv(t *testing.T, run string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: in, lines: make(chan string, 100000)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		_, _ = io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c.expect(t, "ready")
	return c
}

// say writes a line to the child's standard input.
func (c *child) say(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		t.Fatalf("tell the child %q: %v", line, err)
	}
}

// expect waits for a line with prefix and returns the rest of it.
func (c *child) expect(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("child exited before saying %q", prefix)
			}
			if rest, found := strings.CutPrefix(l, prefix); found {
				return strings.TrimSpace(rest)
			}
		case <-timeout:
			t.Fatalf("child never said %q", prefix)
		}
	}
}

func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := c.cmd.Wait(); !errors.As(err, &exit) {
		t.Fatalf("child did not die of the kill: %v", err)
	}
}

// A worker process killed with SIGKILL mid-job: the job returns to its tier once its lease
// lapses and runs again, without spending an attempt.
func TestKilledProcessJobRunsAgain(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		name string
		open func(t *testing.T) (store.Store, string)
	}{
		{"embedded", openSharedEmbedded},
		{"redis", openSharedRedis},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			st, spec := k.open(t)
			c := newClient(t, st, slaq.Config{})
			ctx := context.Background()
			id, err := c.Enqueue(ctx, "hold", nil, slaq.WithTier(slaq.Low), slaq.MaxAttempts(1))
			if err != nil {
				t.Fatal(err)
			}
			ch := startChild(t, spec)
			if got := ch.expect(t, "started "); got != id {
				t.Fatalf("child started %s, want %s", got, id)
			}
			ch.kill(t)
			if j, err := st.Get(ctx, id); err != nil || j.State != store.StateActive {
				t.Fatalf("after the kill the job should be active under its lease: %+v, %v", j, err)
			}
			done := make(chan *slaq.Job, 1)
			mux := slaq.NewServeMux()
			mux.HandleFunc("hold", func(ctx context.Context, j *slaq.Job) error { done <- j; return nil })
			c2 := newClient(t, st, slaq.Config{Handler: mux, Tiers: childTiers})
			select {
			case j := <-done:
				if j.ID != id || j.Attempts != 0 {
					t.Fatalf("rerun job %s with %d attempts spent; want %s with 0", j.ID, j.Attempts, id)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("the killed process's job never ran again")
			}
			waitState(t, c2, id, store.StateCompleted)
		})
	}
}

// Three worker processes on one Redis: every job runs exactly once, and each process works.
func TestManyProcessesShareOneRedis(t *testing.T) {
	t.Parallel()
	st := openRedis(t)
	spec := "redis:" + st.(*redisstore.Store).Prefix()
	children := []*child{startChild(t, spec), startChild(t, spec), startChild(t, spec)}
	c := newClient(t, st, slaq.Config{})
	const n = 1500
	reqs := make([]slaq.Request, n)
	for i := range reqs {
		reqs[i] = slaq.Request{Type: "count", Payload: map[string]int{"i": i}, Options: []slaq.Option{slaq.WithTier(slaq.Medium)}}
	}
	if _, err := c.EnqueueBulk(context.Background(), reqs); err != nil {
		t.Fatal(err)
	}
	type ran struct {
		child int
		job   string
	}
	all := make(chan ran, n)
	for i, ch := range children {
		go func() {
			for l := range ch.lines {
				if rest, ok := strings.CutPrefix(l, "ran "); ok {
					all <- ran{i, rest}
				}
			}
		}()
	}
	runs := make(map[string]int)
	perChild := make([]int, len(children))
	deadline := time.After(60 * time.Second)
	for total := 0; total < n; total++ {
		select {
		case r := <-all:
			runs[r.job]++
			perChild[r.child]++
		case <-deadline:
			t.Fatalf("only %d of %d jobs ran", total, n)
		}
	}
	for i := range n {
		if runs[fmt.Sprint(i)] != 1 {
			t.Fatalf("job %d ran %d times", i, runs[fmt.Sprint(i)])
		}
	}
	for i, k := range perChild {
		if k == 0 {
			t.Errorf("process %d ran no job: %v", i, perChild)
		}
	}
	t.Logf("jobs per process: %v", perChild)
}
