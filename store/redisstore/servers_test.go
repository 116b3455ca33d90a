package redisstore

import (
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The loopback port range from which tests that need servers of their own pick ports.
const ownPortLo, ownPortHi = 7100, 7199

// needBinaries fails (CI=true) or skips the test when a server binary is missing.
func needBinaries(t *testing.T, bins ...string) {
	t.Helper()
	for _, bin := range bins {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("this test needs %s: %v", bin, err)
			}
			t.Skipf("\n*** SKIPPING: %s not found; install it with: apt-get install redis-server\n", bin)
		}
	}
}

// freePorts returns n loopback ports in [ownPortLo, ownPortHi] that are free, as is each
// port+10000 (a Cluster node's bus port).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	base := ownPortLo + rand.IntN(ownPortHi-ownPortLo-30)
	for port := base; len(ports) < n && port <= ownPortHi; port++ {
		if portFree(port) && portFree(port+10000) {
			ports = append(ports, port)
		}
	}
	if len(ports) < n {
		t.Fatalf("found only %d free ports in %d-%d", len(ports), ownPortLo, ownPortHi)
	}
	return ports
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// startRedis starts redis-server (no persistence) on port with extra arguments, in a temp
// dir, waits until it listens, stops it when the test ends, and returns its address.
func startRedis(t *testing.T, port int, extra ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), strconv.Itoa(port))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--logfile", filepath.Join(dir, "log")}, extra...)
	return startProcess(t, port, "redis-server", args...)
}

// startProcess starts name with args, waits until port listens, and stops it after the test.
func startProcess(t *testing.T, port int, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	pollUntil(t, 10*time.Second, name+" listening on "+addr, func() bool { return !portFree(port) })
	return addr
}
