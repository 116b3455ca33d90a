package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Forward moves up to limit of the oldest committed jobs: it reads them, calls move with
// them (which writes them to the store), then deletes their rows; if move fails, nothing is
// deleted. It returns how many jobs it moved. A crash after move and before the delete leaves
// the rows, to be moved again: move must be idempotent on job id, as Store.Enqueue is.
//
// On PostgreSQL the three steps are one transaction that locks the rows FOR UPDATE SKIP
// LOCKED, so concurrent forwarders never move the same row. On SQLite, Forward first waits
// for the write lock (so a transaction that inserted and signalled has committed), then reads
// and moves without holding it (a store that does not answer must not stall the application's
// writers or the spool), then deletes in a short write transaction; concurrent forwarders on
// one SQLite file may then move a row twice, which the store's idempotence absorbs.
func (o *Outbox) Forward(ctx context.Context, limit int, move func(ctx context.Context, jobs []*Job) error) (int, error) {
	if limit < 1 {
		return 0, fmt.Errorf("outbox: forward limit %d: want at least 1", limit)
	}
	var n int
	var err error
	if o.dialect == Postgres {
		err = o.inTx(ctx, func(ex execer) error {
			seqs, jobs, err := readBatch(ctx, ex, "SELECT seq, job, payload FROM "+Table+" ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED", limit)
			if err != nil || len(jobs) == 0 {
				return err
			}
			if err := move(ctx, jobs); err != nil {
				return err
			}
			if _, err := ex.ExecContext(ctx, "DELETE FROM "+Table+" WHERE seq = ANY($1)", seqs); err != nil {
				return fmt.Errorf("outbox: delete %d forwarded jobs: %w", len(seqs), err)
			}
			n = len(jobs)
			return nil
		})
	} else {
		n, err = o.forwardSQLite(ctx, limit, move)
	}
	if err != nil {
		return 0, err
	}
	o.spooled.Add(-int64(n))
	return n, nil
}

func (o *Outbox) forwardSQLite(ctx context.Context, limit int, move func(ctx context.Context, jobs []*Job) error) (int, error) {
	if err := o.inTx(ctx, func(execer) error { return nil }); err != nil { // the commit barrier
		return 0, err
	}
	seqs, jobs, err := readBatch(ctx, o.db, "SELECT seq, job, payload FROM "+Table+" ORDER BY seq LIMIT ?", limit)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	if err := move(ctx, jobs); err != nil {
		return 0, err
	}
	// Every row up to the last one read was read: SQLite has one writer at a time, so a row
	// with a smaller seq committed before any with a larger one.
	err = o.inTx(ctx, func(ex execer) error {
		_, err := ex.ExecContext(ctx, "DELETE FROM "+Table+" WHERE seq <= ?", seqs[len(seqs)-1])
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: delete %d forwarded jobs: %w", len(seqs), err)
	}
	return len(jobs), nil
}

func readBatch(ctx context.Context, ex execer, q string, limit int) ([]int64, []*Job, error) {
	rows, err := ex.QueryContext(ctx, q, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("outbox: read: %w", err)
	}
	defer rows.Close()
	var seqs []int64
	var jobs []*Job
	for rows.Next() {
		var seq int64
		var enc, payload []byte
		if err := rows.Scan(&seq, &enc, &payload); err != nil {
			return nil, nil, fmt.Errorf("outbox: read: %w", err)
		}
		j, err := decodeJob(enc, payload)
		if err != nil {
			return nil, nil, fmt.Errorf("outbox: row %d: %w", seq, err)
		}
		seqs, jobs = append(seqs, seq), append(jobs, j)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, nil, fmt.Errorf("outbox: read: %w", err)
	}
	return seqs, jobs, nil
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
