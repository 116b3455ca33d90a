package sqlitestore_test

import (
	"path/filepath"
	"sync"
	"testing"

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
