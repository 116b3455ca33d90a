package outbox

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Forward moves up to limit of the oldest committed jobs: it claims them, calls move with
// them in seq order (move writes them to the store), then removes their rows; if move fails,
// nothing is removed. It returns how many jobs it moved. A crash after move and before the
// rows are gone leaves them, to be moved again: move must be idempotent on job id, as
// Store.Enqueue is.
//
// On PostgreSQL a move is two round trips: one that begins a transaction and deletes the
// batch, locked FOR UPDATE SKIP LOCKED, returning its rows (see [claimSQL]); then, after
// move, COMMIT. Until COMMIT the rows are only deleted inside the open transaction, so a
// forwarder that dies or fails there leaves them in place, and concurrent forwarders skip
// the locked rows rather than wait for them or move them twice. On SQLite, Forward first
// waits for the write lock (so a transaction that inserted and signalled has committed),
// then reads and moves without holding it (a store that does not answer must not stall the
// application's writers or the spool), then deletes in a short write transaction;
// concurrent forwarders on one SQLite file may then move a row twice, which the store's
// idempotence absorbs.
func (o *Outbox) Forward(ctx context.Context, limit int, move func(ctx context.Context, jobs []*Job) error) (int, error) {
	if limit < 1 {
		return 0, fmt.Errorf("outbox: forward limit %d: want at least 1", limit)
	}
	var n int
	var err error
	if o.dialect == Postgres {
		n, err = o.forwardPostgres(ctx, limit, move)
	} else {
		n, err = o.forwardSQLite(ctx, limit, move)
	}
	if err != nil {
		return 0, err
	}
	o.spooled.Add(-int64(n))
	return n, nil
}

// claimSQL deletes the oldest $1 rows that no other transaction holds, returning them. It
// runs inside the forwarder's transaction: the delete takes effect only at its COMMIT.
const claimSQL = "DELETE FROM " + Table + " WHERE seq IN (SELECT seq FROM " + Table +
	" ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING seq, job, payload"

func (o *Outbox) forwardPostgres(ctx context.Context, limit int, move func(ctx context.Context, jobs []*Job) error) (int, error) {
	conn, err := o.db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("outbox: connect: %w", err)
	}
	defer conn.Close()
	var n int
	err = conn.Raw(func(dc any) error {
		pc, err := pgxConn(dc)
		if err != nil {
			return err
		}
		var err2 error
		n, err2 = claimAndMove(ctx, pc, limit, move)
		if pc.PgConn().TxStatus() != 'I' { // the batch or move failed inside the transaction
			if _, err := pc.Exec(context.WithoutCancel(ctx), "ROLLBACK"); err != nil || pc.PgConn().TxStatus() != 'I' {
				return errors.Join(err2, fmt.Errorf("%w: outbox: roll back: %w", driver.ErrBadConn, err))
			}
		}
		return err2
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// claimAndMove is the forward on one PostgreSQL connection: BEGIN and claimSQL in one
// round trip, move, COMMIT. On error it may leave the transaction open for its caller to
// roll back.
func claimAndMove(ctx context.Context, pc *pgx.Conn, limit int, move func(ctx context.Context, jobs []*Job) error) (int, error) {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(claimSQL, limit)
	br := pc.SendBatch(ctx, b)
	var claimed []claimedRow
	_, err := br.Exec()
	if err == nil {
		var rows pgx.Rows
		rows, err = br.Query()
		if err == nil {
			claimed, err = pgx.CollectRows(rows, pgx.RowToStructByPos[claimedRow])
		}
	}
	if err = errors.Join(err, br.Close()); err != nil {
		return 0, fmt.Errorf("outbox: claim: %w", err)
	}
	if len(claimed) == 0 {
		if _, err := pc.Exec(ctx, "ROLLBACK"); err != nil {
			return 0, fmt.Errorf("outbox: end an empty claim: %w", err)
		}
		return 0, nil
	}
	slices.SortFunc(claimed, func(a, b claimedRow) int { return cmp.Compare(a.Seq, b.Seq) })
	jobs := make([]*Job, len(claimed))
	for i, r := range claimed {
		if jobs[i], err = decodeJob(r.Job, r.Payload); err != nil {
			return 0, fmt.Errorf("outbox: row %d: %w", r.Seq, err)
		}
	}
	if err := move(ctx, jobs); err != nil {
		return 0, err
	}
	if _, err := pc.Exec(ctx, "COMMIT"); err != nil {
		return 0, fmt.Errorf("outbox: commit the removal of %d forwarded jobs: %w", len(jobs), err)
	}
	return len(jobs), nil
}

// claimedRow is a row claimSQL returns.
type claimedRow struct {
	Seq          int64
	Job, Payload []byte
}

// pgxConn returns the pgx connection under a database/sql driver connection.
func pgxConn(dc any) (*pgx.Conn, error) {
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		return nil, fmt.Errorf("outbox: connection is a %T, want pgx's", dc)
	}
	return sc.Conn(), nil
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
