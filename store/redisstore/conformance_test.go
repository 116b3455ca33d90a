package redisstore

import (
	"context"
	"testing"

	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) { return openPair(t) })
}

// openPair opens two stores (two processes' worth of connections) on one fresh prefix of
// addrs (default: the shared server).
func openPair(t *testing.T, addrs ...string) (*Store, *Store) {
	t.Helper()
	a := openTest(t, addrs...)
	b, err := New(context.Background(), Options{Addrs: a.opts.Addrs, Prefix: a.Prefix()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return a, b
}
