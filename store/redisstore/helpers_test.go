package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// testAddr is the shared Redis the tests use (REDIS_TEST_ADDR overrides it).
func testAddr() string {
	if a := os.Getenv("REDIS_TEST_ADDR"); a != "" {
		return a
	}
	return DefaultAddr
}

// requireRedis fails (CI=true) or skips the test when no Redis answers at addr.
func requireRedis(t testing.TB, addr string) {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true, ForceSingleClient: true,
		Dialer: net.Dialer{Timeout: 2 * time.Second}})
	if err == nil {
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err = c.Do(ctx, c.B().Ping().Build()).Error()
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("redisstore tests need Redis at %s: %v", addr, err)
	}
	t.Skipf("\n*** SKIPPING: no Redis at %s (%v).\n*** Start one with: redis-server --port 6379 --save '' --appendonly no\n", addr, err)
}

// uniquePrefix returns a key prefix no other test or package uses.
func uniquePrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "slaqtest-" + hex.EncodeToString(b[:])
}

// openTest opens a store on addrs with a fresh prefix and deletes its keys when the test ends.
func openTest(t testing.TB, addrs ...string) *Store {
	t.Helper()
	if len(addrs) == 0 {
		addrs = []string{testAddr()}
	}
	requireRedis(t, addrs[0])
	s, err := New(context.Background(), Options{Addrs: addrs, Prefix: uniquePrefix()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		deleteKeys(t, addrs, s.Prefix())
		_ = s.Close()
	})
	return s
}

// deleteKeys deletes every key of prefix on every node, with SCAN (never FLUSHDB: the server
// is shared with other packages' tests).
func deleteKeys(t testing.TB, addrs []string, prefix string) {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: addrs, DisableCache: true})
	if err != nil {
		t.Errorf("cleanup: connect: %v", err)
		return
	}
	defer c.Close()
	ctx := context.Background()
	for _, node := range c.Nodes() {
		var cursor uint64
		for {
			e, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match("{"+prefix+":*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				t.Errorf("cleanup: scan: %v", err)
				return
			}
			for _, k := range e.Elements {
				if err := c.Do(ctx, c.B().Unlink().Key(k).Build()).Error(); err != nil {
					t.Errorf("cleanup: unlink %s: %v", k, err)
					return
				}
			}
			if cursor = e.Cursor; cursor == 0 {
				break
			}
		}
	}
}

// pollUntil calls cond until it holds or deadline passes, and fails the test then.
func pollUntil(t testing.TB, deadline time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	end := time.NewTimer(deadline)
	defer end.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-end.C:
			t.Fatalf("still not %s after %v", what, deadline)
		}
	}
}
