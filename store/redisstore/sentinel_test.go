package redisstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/storetest"
)

// TestSentinel runs the conformance suite through a Sentinel of its own that monitors a
// master of its own.
func TestSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis and a Sentinel")
	}
	needBinaries(t, "redis-server")
	ports := freePorts(t, 2)
	master := startRedis(t, ports[0])
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	cfg := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor slaqtest 127.0.0.1 %d 1\n", ports[1], ports[0])
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	sentinel := startProcess(t, ports[1], "redis-server", conf, "--sentinel")
	requireRedis(t, master)
	open := func(t *testing.T) store.Store {
		s, err := New(context.Background(), Options{Addrs: []string{sentinel}, SentinelMaster: "slaqtest", Prefix: uniquePrefix()})
		if err != nil {
			t.Fatalf("New through Sentinel: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	storetest.Run(t, open)
}
