package dlq

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestIsDataError classifies errors that real servers return: only a refusal of a row's data
// may make Add report that row as rejected; everything else must make it retry the batch.
func TestIsDataError(t *testing.T) {
	t.Parallel()
	type errCase struct {
		name string
		make func(ctx context.Context, c *sql.Conn) error
		want string // in the error's text: proof that it is the error meant
		data bool
	}
	exec := func(q string, args ...any) func(ctx context.Context, c *sql.Conn) error {
		return func(ctx context.Context, c *sql.Conn) error { _, err := c.ExecContext(ctx, q, args...); return err }
	}
	inTx := func(readOnly bool, qs ...string) func(ctx context.Context, c *sql.Conn) error {
		return func(ctx context.Context, c *sql.Conn) error {
			tx, err := c.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
			if err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			defer tx.Rollback()
			for _, q := range qs {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		}
	}
	dup := exec("INSERT INTO failed_jobs (job_id, type, tier, failed_at) VALUES ('x', 't', 1, 1), ('x', 't', 1, 1)")
	tests := map[string][]errCase{
		"postgres": {
			{"NUL in text", exec("SELECT $1::text", "a\x00"), "SQLSTATE 22021", true},
			{"division by zero", exec("SELECT 1 / (SELECT 0)"), "SQLSTATE 22012", true},
			{"unique violation", dup, "SQLSTATE 23505", true},
			{"check violation", exec("INSERT INTO failed_jobs (job_id, type, tier, failed_at) VALUES ('y', 't', 9, 1)"), "SQLSTATE 23514", true},
			{"index row too large", exec("INSERT INTO failed_jobs (job_id, type, tier, failed_at) VALUES ('y', $1, 1, 1)", randomText(3000)), "SQLSTATE 54000", true},
			{"syntax error", exec("SELEC 1"), "SQLSTATE 42601", false},
			{"undefined table", exec("SELECT * FROM no_such_table"), "SQLSTATE 42P01", false},
			{"statement timeout", inTx(false, "SET LOCAL statement_timeout = 1", "SELECT pg_sleep(1)"), "SQLSTATE 57014", false},
			{"read-only transaction", inTx(true, "DELETE FROM failed_jobs"), "SQLSTATE 25006", false},
			{"deadline", exec("SELECT pg_sleep(1)"), "context deadline exceeded", false},
		},
		"sqlite": {
			{"unique violation", dup, "UNIQUE constraint failed", true},
			{"check violation", exec("INSERT INTO failed_jobs (job_id, type, tier, failed_at) VALUES ('y', 't', 9, 1)"), "CHECK constraint failed", true},
			{"not null violation", exec("INSERT INTO failed_jobs (job_id, type, tier) VALUES ('z', 't', 1)"), "NOT NULL constraint failed", true},
			{"syntax error", exec("SELEC 1"), "syntax error", false},
			{"no such table", exec("SELECT * FROM no_such_table"), "no such table", false},
		},
	}
	for _, b := range testBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, b.dsn(t))
			for _, tt := range tests[b.name] {
				ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
				c, err := db.sql.Conn(ctx)
				if err != nil {
					cancel()
					t.Fatalf("take a connection: %v", err)
				}
				err = tt.make(ctx, c)
				c.Close()
				cancel()
				if err == nil {
					t.Errorf("%s: no error", tt.name)
					continue
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: error %q, want one containing %q", tt.name, err, tt.want)
				}
				if got := isDataError(err); got != tt.data {
					t.Errorf("%s: isDataError(%v) = %v, want %v", tt.name, err, got, tt.data)
				}
			}
		})
	}
}
