package dlq

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// TestSQLiteLockedTimeout holds the SQLite file's write lock from another connection: Add
// must give up after its query timeout, not after the longer busy timeout, and succeed once
// the lock is gone.
func TestSQLiteLockedTimeout(t *testing.T) {
	t.Parallel()
	const timeout = time.Second
	path := sqliteTestDSN(t)
	db, err := OpenWith(t.Context(), path, Options{QueryTimeout: timeout})
	if err != nil {
		t.Fatalf("OpenWith: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if timeout >= DefaultBusyTimeout {
		t.Fatalf("the query timeout %v must be shorter than the busy timeout %v for this test", timeout, DefaultBusyTimeout)
	}

	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open a second connection: %v", err)
	}
	t.Cleanup(func() { other.Close() })
	lock, err := other.Conn(t.Context())
	if err != nil {
		t.Fatalf("take a connection: %v", err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}

	took, err := within(t, "Add on a locked file", DefaultBusyTimeout+slack, func() error {
		return db.Add(context.Background(), []*store.Job{deadJob("2locked", "export", store.High, t0)})
	})
	if err == nil {
		t.Fatal("Add succeeded while another connection holds the write lock")
	}
	if took > timeout+slack {
		t.Errorf("Add took %v to fail, want about the query timeout %v", took, timeout)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Add = %v, want it to wrap context.DeadlineExceeded", err)
	}

	if _, err := lock.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatalf("release the write lock: %v", err)
	}
	mustAdd(t, db, deadJob("2locked", "export", store.High, t0))
}
