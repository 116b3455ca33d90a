package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slaqhq/slaq/internal/testenv"
)

// reexecEnv makes the test binary run main() instead of the tests: a real slaq process.
const reexecEnv = "SLAQ_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(reexecEnv) == "1" {
		main() // os.Args[1:] are slaq's arguments
		return
	}
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer safe for a process's output and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a `slaq` process started by a test.
type proc struct {
	t        testing.TB
	cmd      *exec.Cmd
	out, err *syncBuffer
	done     chan struct{}
	url      string
	token    string
}

var (
	listenRE = regexp.MustCompile(`listening on (http://\S+)`)
	tokenRE  = regexp.MustCompile(`admin token:  (dev-[0-9a-f]+)`)
)

// slaqProc starts `slaq args...` as a process with env added to a clean environment.
func slaqProc(t testing.TB, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, out: &syncBuffer{}, err: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], args...)
	p.cmd.Env = append([]string{reexecEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	p.cmd.Dir = t.TempDir()
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.err
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill() // only the process this test started
			<-p.done
		}
	})
	return p
}

// serve starts `slaq serve` on a free loopback port and waits for its banner.
func serve(t testing.TB, env []string, args ...string) *proc {
	t.Helper()
	p := slaqProc(t, env, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	deadline := time.After(20 * time.Second)
	for !strings.Contains(p.out.String(), "  try:") { // the banner's last line
		select {
		case <-p.done:
			t.Fatalf("serve exited: %v\nstdout:\n%s\nstderr:\n%s", p.cmd.ProcessState, p.out, p.err)
		case <-deadline:
			t.Fatalf("no banner after 20s\nstdout:\n%s\nstderr:\n%s", p.out, p.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	p.url = listenRE.FindStringSubmatch(p.out.String())[1]
	if m := tokenRE.FindStringSubmatch(p.out.String()); m != nil {
		p.token = m[1]
	}
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		p.t.Fatalf("still running after %s\nstderr:\n%s", d, p.err)
		return -1
	}
}

func (p *proc) readyz() (int, string) {
	resp, err := http.Get(p.url + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var m struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m.Status
}

// cli runs slaq in this process with args and returns stdout, stderr and the exit code.
func cli(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(stdin))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), errb.String(), exitCode(err)
}

// must runs slaq and fails the test unless it exits 0.
func must(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := cli(t, "", args...)
	if code != 0 {
		t.Fatalf("slaq %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// exits runs slaq and checks its exit code.
func exits(t *testing.T, want int, args ...string) (string, string) {
	t.Helper()
	out, errOut, code := cli(t, "", args...)
	if code != want {
		t.Errorf("slaq %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out, errOut
}

// TestLifecycleSIGTERM: SIGTERM turns readiness off (during the drain delay), then the
// process shuts down gracefully and exits 0.
func TestLifecycleSIGTERM(t *testing.T) {
	p := serve(t, nil, "--data-dir", t.TempDir(), "--drain-delay", "1s")
	if status, s := p.readyz(); status != 200 || s != "ready" {
		t.Fatalf("readyz before: %d %s", status, s)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	testenv.PollUntil(t, 5*time.Second, "readyz stopping", func() bool {
		status, s := p.readyz()
		return status == 503 && s == "stopping"
	})
	if code := p.wait(20 * time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\nstderr:\n%s", code, p.err)
	}
	if !strings.Contains(p.err.String(), "stopped") {
		t.Errorf("no stop log:\n%s", p.err)
	}
}

// TestLifecycleSIGINT: SIGINT stops gracefully too.
func TestLifecycleSIGINT(t *testing.T) {
	p := serve(t, nil, "--data-dir", t.TempDir())
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Errorf("exit %d after SIGINT, want 0\nstderr:\n%s", code, p.err)
	}
}

// TestLifecycleSecondSignal: a second signal during a long graceful shutdown exits at once.
func TestLifecycleSecondSignal(t *testing.T) {
	p := serve(t, nil, "--data-dir", t.TempDir(), "--drain-delay", "5m")
	p.cmd.Process.Signal(syscall.SIGINT)
	testenv.PollUntil(t, 5*time.Second, "readyz stopping", func() bool {
		status, s := p.readyz()
		return status == 503 && s == "stopping"
	})
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(10 * time.Second); code != exitForced {
		t.Errorf("exit %d after a second signal, want %d\nstderr:\n%s", code, exitForced, p.err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s to exit", d)
	}
}

// TestServeRefusesWithoutToken: outside development, no ADMIN_TOKEN, no start.
func TestServeRefusesWithoutToken(t *testing.T) {
	p := slaqProc(t, []string{"SLAQ_ENV=production"}, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	if code := p.wait(20 * time.Second); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(p.err.String(), "ADMIN_TOKEN") {
		t.Errorf("stderr does not name ADMIN_TOKEN:\n%s", p.err)
	}
}

// TestServeBadConfigFile: a bad file stops serve with the line named.
func TestServeBadConfigFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/slaq.yaml", []byte("tiers:\n  CRITICAL: {workers: 2}\n  URGENT: {workers: 1}\n"), 0o600)
	p := slaqProc(t, nil, "serve", "--config", dir+"/slaq.yaml", "--data-dir", dir)
	if code := p.wait(20 * time.Second); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(p.err.String(), "slaq.yaml: line 3: unknown tier \"URGENT\"") {
		t.Errorf("stderr:\n%s", p.err)
	}
}
