package redisstore

import (
	"context"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// TestServerRestart: while the server is down calls fail with an error and Wait neither
// hangs past d nor spins; once it is back on the same address, the same Store works again
// and a blocked Wait is woken by an enqueue, without any reconnect call.
func TestServerRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and restarts a Redis server")
	}
	needBinaries(t, "redis-server")
	port := freePorts(t, 1)[0]
	dir := t.TempDir()
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"}
	start := func() *exec.Cmd {
		cmd := exec.Command("redis-server", args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pollUntil(t, 10*time.Second, "redis-server listening", func() bool { return !portFree(port) })
		return cmd
	}
	srv := start()
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s, err := New(context.Background(), Options{Addrs: []string{addr}, Prefix: uniquePrefix(), WaitRetryDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	const tier = store.High
	enqueue := func() error {
		now := time.Now().UnixMilli()
		_, err := s.Enqueue(t.Context(), now, []*store.Job{newTestJob(tier, now)})
		return err
	}
	if err := enqueue(); err != nil {
		t.Fatal(err)
	}

	_ = srv.Process.Kill()
	_ = srv.Wait()
	if err := enqueue(); err == nil {
		t.Fatal("Enqueue succeeded with the server down")
	}
	// Down: each Wait returns by d, pausing WaitRetryDelay rather than spinning.
	began, calls := time.Now(), 0
	for time.Since(began) < 300*time.Millisecond {
		if err := s.Wait(t.Context(), tier, time.Second); err != nil {
			t.Fatalf("Wait while down: %v", err)
		}
		calls++
	}
	if calls > 20 {
		t.Fatalf("Wait returned %d times in 300ms while Redis was down: it spins", calls)
	}

	srv = start() // a fresh, empty server on the same address (no persistence)
	pollUntil(t, 10*time.Second, "enqueue working again", func() bool { return enqueue() == nil })
	// A pooled connection to the old server may fail once (EOF) before the pool replaces it;
	// the engine retries a failed fetch, and so does this test.
	var r store.FetchResult
	pollUntil(t, 10*time.Second, "fetch working again", func() bool {
		var err error
		r, err = s.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: 10, Now: time.Now().UnixMilli(), LeaseMs: 1000})
		return err == nil
	})
	if len(r.Jobs) != 1 {
		t.Fatalf("Fetch after restart = %d jobs; want the 1 enqueued after it", len(r.Jobs))
	}
	// Drain a wake-up left by the enqueue, then check a blocked Wait is woken.
	_ = s.Wait(t.Context(), tier, 10*time.Millisecond)
	done := startWait(t.Context(), s, tier, time.Minute)
	waitBlocked(t, s, DefaultClientName, 1)
	if err := enqueue(); err != nil {
		t.Fatal(err)
	}
	wantReturn(t, done, "after the restart")
}
