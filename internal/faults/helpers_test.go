package faults_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/internal/testenv"
)

// childEnv names the variable that turns this test binary into a child process of a fault
// test: "ROLE:ARG". TestChild is the child's main.
const childEnv = "SLAQ_FAULTS_CHILD"

// child is a running child process of a test: this binary run again with childEnv set. Its
// stdout lines reach lines; the whole output is kept until it exits.
type child struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{} // closed when stdout reached EOF (the process exited)

	mu  sync.Mutex
	all []string
}

func startChild(t *testing.T, role, arg string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.v=false")
	cmd.Env = append(append(os.Environ(), childEnv+"="+role+":"+arg), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 1<<16), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l := sc.Text()
			c.mu.Lock()
			c.all = append(c.all, l)
			c.mu.Unlock()
			select {
			case c.lines <- l:
			default: // nobody reads lines any more: all keeps them
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c.expect(t, "ready")
	return c
}

// expect waits for a line with prefix.
func (c *child) expect(t *testing.T, prefix string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l := <-c.lines:
			if strings.HasPrefix(l, prefix) {
				return
			}
		case <-c.done:
			t.Fatalf("child exited before saying %q", prefix)
		case <-timeout:
			t.Fatalf("child never said %q", prefix)
		}
	}
}

// kill sends SIGKILL, waits for the process to die and for its output to end, and returns
// the moment it was killed.
func (c *child) kill(t *testing.T) time.Time {
	t.Helper()
	at := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := c.cmd.Wait(); !errors.As(err, &exit) {
		t.Fatalf("child did not die of the kill: %v", err)
	}
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("child's output never ended")
	}
	return at
}

// output returns the rest of every line with prefix the child printed so far.
func (c *child) output(prefix string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, l := range c.all {
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			out = append(out, rest)
		}
	}
	return out
}

// needBinary fails under CI=true, and skips otherwise, when bin is not installed.
func needBinary(t *testing.T, bin string) {
	t.Helper()
	if _, err := exec.LookPath(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("this test needs %s: %v", bin, err)
		}
		t.Skipf("SKIPPING: %s not found; install it with: apt-get install redis-server", bin)
	}
}

// ownRedis is a redis-server of the test's own on a loopback port, with the append-only
// file fsynced on every write, so an acknowledged write survives a SIGKILL of the server.
type ownRedis struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
}

// The loopback ports the fault tests' own servers use (store/redisstore's tests use
// 7100-7199).
const ownPortLo, ownPortHi = 7200, 7299

func startOwnRedis(t *testing.T) *ownRedis {
	t.Helper()
	needBinary(t, "redis-server")
	r := &ownRedis{t: t, dir: t.TempDir()}
	for range 50 {
		p := ownPortLo + rand.IntN(ownPortHi-ownPortLo)
		if portFree(p) {
			r.port = p
			break
		}
	}
	if r.port == 0 {
		t.Fatal("no free port for redis-server")
	}
	r.start()
	t.Cleanup(func() {
		if r.cmd != nil {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
	})
	return r
}

func (r *ownRedis) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

// start starts the server on its port and directory (reloading its AOF) and waits until it
// answers PING.
func (r *ownRedis) start() {
	r.t.Helper()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--dir", r.dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always",
		"--logfile", filepath.Join(r.dir, "log"))
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	r.cmd = cmd
	testenv.PollUntil(r.t, 20*time.Second, "redis-server answering on "+r.addr(), func() bool { return r.ping() == nil })
}

func (r *ownRedis) ping() error {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.addr()}, DisableCache: true,
		DisableRetry: true, Dialer: net.Dialer{Timeout: time.Second}})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.Do(ctx, c.B().Ping().Build()).Error()
}

// shutdown stops the server cleanly (SHUTDOWN: the AOF is flushed) and waits for it to exit.
func (r *ownRedis) shutdown() {
	r.t.Helper()
	out, err := exec.Command("redis-cli", "-p", strconv.Itoa(r.port), "shutdown").CombinedOutput()
	if err != nil && len(out) > 0 {
		r.t.Logf("redis-cli shutdown: %v: %s", err, out)
	}
	if err := r.cmd.Wait(); err != nil {
		r.t.Logf("redis-server exited: %v", err)
	}
	r.cmd = nil
}

// kill kills the server with SIGKILL and waits for it to die.
func (r *ownRedis) kill() {
	r.t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	_ = r.cmd.Wait()
	r.cmd = nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// redisCmd runs one command on the test Redis (127.0.0.1:6379).
func testRedis(t *testing.T) rueidis.Client {
	t.Helper()
	testenv.RequireRedis(t)
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{testenv.RedisAddr()}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// countKeys counts the keys under a store prefix with SCAN, leaving out each tier's stats
// hash ("{prefix:N}:s"), which holds the running totals and the paused flag for good.
func countKeys(ctx context.Context, c rueidis.Client, prefix string) (int64, error) {
	var n int64
	var cursor uint64
	for {
		e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match("{"+prefix+":*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			return 0, err
		}
		for _, k := range e.Elements {
			if !strings.HasSuffix(k, "}:s") {
				n++
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return n, nil
		}
	}
}

// pgDSN points a fresh schema's DSN at addr instead of the server's own address.
func pgDSN(t *testing.T, addr string) string {
	t.Helper()
	dsn := testenv.PostgresDSN(t)
	u := strings.Replace(dsn, "127.0.0.1:5432", addr, 1)
	if u == dsn && addr != "127.0.0.1:5432" {
		t.Fatalf("cannot route %s through %s", dsn, addr)
	}
	return u + "&connect_timeout=2"
}

func fmtIDs(ids []string) string {
	if len(ids) > 5 {
		return fmt.Sprintf("%v … (%d)", ids[:5], len(ids))
	}
	return fmt.Sprint(ids)
}
