package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Forward moves up to limit of the oldest committed jobs: in one database transaction it
// locks their rows (skipping rows another forwarder holds, on PostgreSQL), calls move with
// them (which writes them to the store), deletes the rows and commits. If move fails, nothing
// is deleted. It returns how many jobs it moved. A crash after move and before the commit
// leaves the rows, to be moved again; move must be idempotent on job id, as Store.Enqueue is.
func (o *Outbox) Forward(ctx context.Context, limit int, move func(ctx context.Context, jobs []*Job) error) (int, error) {
	if limit < 1 {
		return 0, fmt.Errorf("outbox: forward limit %d: want at least 1", limit)
	}
	var n int
	err := o.inTx(ctx, func(ex execer) error {
		q := "SELECT seq, job, payload FROM " + Table + " ORDER BY seq LIMIT ?"
		if o.dialect == Postgres {
			q = "SELECT seq, job, payload FROM " + Table + " ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED"
		}
		rows, err := ex.QueryContext(ctx, q, limit)
		if err != nil {
			return fmt.Errorf("outbox: read: %w", err)
		}
		var seqs []int64
		var jobs []*Job
		for rows.Next() {
			var seq int64
			var enc, payload []byte
			if err := rows.Scan(&seq, &enc, &payload); err != nil {
				rows.Close()
				return fmt.Errorf("outbox: read: %w", err)
			}
			j, err := decodeJob(enc, payload)
			if err != nil {
				rows.Close()
				return fmt.Errorf("outbox: row %d: %w", seq, err)
			}
			seqs, jobs = append(seqs, seq), append(jobs, j)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("outbox: read: %w", err)
		}
		if len(jobs) == 0 {
			return nil
		}
		if err := move(ctx, jobs); err != nil {
			return err
		}
		if o.dialect == Postgres {
			_, err = ex.ExecContext(ctx, "DELETE FROM "+Table+" WHERE seq = ANY($1)", seqs)
		} else { // the write lock is ours: every row up to the last one read is in the batch
			_, err = ex.ExecContext(ctx, "DELETE FROM "+Table+" WHERE seq <= ?", seqs[len(seqs)-1])
		}
		if err != nil {
			return fmt.Errorf("outbox: delete %d forwarded jobs: %w", len(seqs), err)
		}
		n = len(jobs)
		return nil
	})
	if err != nil {
		return 0, err
	}
	o.spooled.Add(-int64(n))
	return n, nil
}

// execer is what a transaction body needs, from a *sql.Tx or a *sql.Conn inside BEGIN.
type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// inTx runs f in a transaction and commits it when f returns nil. On SQLite it is a
// BEGIN IMMEDIATE transaction on a connection of its own, so that it waits (busy_timeout) for
// the write lock of any transaction that inserted and has not committed yet, and then sees
// its rows.
func (o *Outbox) inTx(ctx context.Context, f func(ex execer) error) error {
	if o.dialect == Postgres {
		tx, err := o.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("outbox: begin: %w", err)
		}
		if err := f(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("outbox: commit: %w", err)
		}
		return nil
	}
	conn, err := o.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("outbox: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 5000"); err != nil {
		return fmt.Errorf("outbox: set busy timeout: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("outbox: begin: %w", err)
	}
	if err := f(conn); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("outbox: commit: %w", err)
	}
	return nil
}
