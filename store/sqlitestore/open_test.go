package sqlitestore_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// TestConcurrentOpen opens one new file from several goroutines at once, as processes
// starting together would: every Open must succeed and the schema must be created once.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "slaq.db")
	const n = 4
	var (
		wg   sync.WaitGroup
		errs = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
			if err == nil {
				t.Cleanup(func() { _ = s.Close() })
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
}

// TestSharesFileWithDLQ opens the dead-letter queue and the store on one file, in both
// orders: each keeps its own goose version table, so neither mistakes the other's
// migrations for its own, and both work on the shared file.
func TestSharesFileWithDLQ(t *testing.T) {
	t.Parallel()
	for _, storeFirst := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "slaq.db")
		var d *dlq.DB
		openDLQ := func() {
			var err error
			if d, err = dlq.Open(t.Context(), "sqlite://"+path); err != nil {
				t.Fatalf("dlq.Open: %v", err)
			}
			t.Cleanup(func() { _ = d.Close() })
		}
		if !storeFirst {
			openDLQ()
		}
		s := openAt(t, path, sqlitestore.Options{})
		if storeFirst {
			openDLQ()
		}
		j := job(store.Low)
		if _, err := s.Enqueue(t.Context(), base, []*store.Job{j}); err != nil {
			t.Fatal(err)
		}
		dead := *j
		dead.State, dead.Attempts, dead.FinishedAt, dead.LastError = store.StateFailed, 1, base+1, "boom"
		if err := d.Add(t.Context(), []*store.Job{&dead}); err != nil {
			t.Fatalf("dlq.Add: %v", err)
		}
		if n, err := d.Count(t.Context(), dlq.Filter{}); err != nil || n != 1 {
			t.Fatalf("dlq.Count = %d, %v; want 1", n, err)
		}
		if _, err := s.Get(t.Context(), j.ID); err != nil {
			t.Fatal(err)
		}
	}
}
