package outbox

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Forward moves up to limit of the oldest committed jobs: it claims them, calls move with
// them in seq order (move writes them to the store), then removes their rows; if move fails,
// nothing is removed. It returns how many jobs it moved. A crash after move and before the
// rows are gone leaves them, to be moved again: move must be idempotent on job id, as
// Store.Enqueue is.
//
// A row whose job record does not decode to a valid job (not JSON, an empty id or type, an
// invalid tier, a tier its id does not name) is not handed to move: it is set aside into
// [RejectedTable] in the transaction that removes the batch, and reported in
// Forwarded.Rejected, so that the jobs behind it keep moving. The batch's other jobs are
// moved as usual, in order.
//
// On PostgreSQL a move is two round trips: one that begins a transaction and deletes the
// batch, locked FOR UPDATE SKIP LOCKED, returning its rows (see [claimSQL]); then, after
// move, COMMIT (with the batch's rejected rows inserted in the same round trip). Until
// COMMIT the rows are only deleted inside the open transaction, so a forwarder that dies or
// fails there leaves them in place, and concurrent forwarders skip the locked rows rather
// than wait for them or move them twice. On SQLite, Forward first waits for the write lock
// (so a transaction that inserted and signalled has committed), then reads and moves without
// holding it (a store that does not answer must not stall the application's writers or the
// spool), then sets the rejected rows aside and deletes the batch in a short write
// transaction; concurrent forwarders on one SQLite file may then move a row twice, which the
// store's idempotence absorbs (a rejected row is set aside once).
func (o *Outbox) Forward(ctx context.Context, limit int, move func(ctx context.Context, jobs []*Job) error) (Forwarded, error) {
	if limit < 1 {
		return Forwarded{}, fmt.Errorf("outbox: forward limit %d: want at least 1", limit)
	}
	var res Forwarded
	var err error
	if o.dialect == Postgres {
		res, err = o.forwardPostgres(ctx, limit, move)
	} else {
		res, err = o.forwardSQLite(ctx, limit, move)
	}
	if err != nil {
		return Forwarded{}, err
	}
	o.spooled.Add(-int64(res.Rows()))
	return res, nil
}

// claimSQL deletes the oldest $1 rows that no other transaction holds, returning them. It
// runs inside the forwarder's transaction: the delete takes effect only at its COMMIT.
const claimSQL = "DELETE FROM " + Table + " WHERE seq IN (SELECT seq FROM " + Table +
	" ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING seq, job_id, job, payload"

// rejectPostgresSQL sets a claimed row aside: $1 to $4 are its seq, job_id, job and payload,
// $5 the reason, $6 the time in ms.
const rejectPostgresSQL = "INSERT INTO " + RejectedTable + " (seq, job_id, job, payload, reason, rejected_at) VALUES ($1, $2, $3, $4, $5, $6)"

func (o *Outbox) forwardPostgres(ctx context.Context, limit int, move func(ctx context.Context, jobs []*Job) error) (Forwarded, error) {
	conn, err := o.db.Conn(ctx)
	if err != nil {
		return Forwarded{}, fmt.Errorf("outbox: connect: %w", err)
	}
	defer conn.Close()
	var res Forwarded
	err = conn.Raw(func(dc any) error {
		pc, err := pgxConn(dc)
		if err != nil {
			return err
		}
		var err2 error
		res, err2 = claimAndMove(ctx, pc, limit, move)
		if pc.PgConn().TxStatus() != 'I' { // the batch or move failed inside the transaction
			if _, err := pc.Exec(context.WithoutCancel(ctx), "ROLLBACK"); err != nil || pc.PgConn().TxStatus() != 'I' {
				return errors.Join(err2, fmt.Errorf("%w: outbox: roll back: %w", driver.ErrBadConn, err))
			}
		}
		return err2
	})
	if err != nil {
		return Forwarded{}, err
	}
	return res, nil
}

// claimAndMove is the forward on one PostgreSQL connection: BEGIN and claimSQL in one
// round trip, move, then the rejected rows' inserts and COMMIT in one round trip. On error
// it may leave the transaction open for its caller to roll back.
func claimAndMove(ctx context.Context, pc *pgx.Conn, limit int, move func(ctx context.Context, jobs []*Job) error) (Forwarded, error) {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(claimSQL, limit)
	br := pc.SendBatch(ctx, b)
	var claimed []outboxRow
	_, err := br.Exec()
	if err == nil {
		var rows pgx.Rows
		rows, err = br.Query()
		if err == nil {
			claimed, err = pgx.CollectRows(rows, pgx.RowToStructByPos[outboxRow])
		}
	}
	if err = errors.Join(err, br.Close()); err != nil {
		return Forwarded{}, fmt.Errorf("outbox: claim: %w", err)
	}
	if len(claimed) == 0 {
		if _, err := pc.Exec(ctx, "ROLLBACK"); err != nil {
			return Forwarded{}, fmt.Errorf("outbox: end an empty claim: %w", err)
		}
		return Forwarded{}, nil
	}
	slices.SortFunc(claimed, func(a, b outboxRow) int { return cmp.Compare(a.Seq, b.Seq) })
	jobs, rejects := split(claimed)
	if len(jobs) > 0 {
		if err := move(ctx, jobs); err != nil {
			return Forwarded{}, err
		}
	}
	if len(rejects) == 0 {
		if _, err := pc.Exec(ctx, "COMMIT"); err != nil {
			return Forwarded{}, fmt.Errorf("outbox: commit the removal of %d forwarded jobs: %w", len(jobs), err)
		}
		return Forwarded{Moved: len(jobs)}, nil
	}
	now := time.Now().UnixMilli()
	b = &pgx.Batch{}
	for _, r := range rejects {
		b.Queue(rejectPostgresSQL, r.Seq, r.JobID, r.Job, r.Payload, r.reason, now)
	}
	b.Queue("COMMIT")
	if err := pc.SendBatch(ctx, b).Close(); err != nil {
		return Forwarded{}, fmt.Errorf("outbox: set aside %d rejected rows and commit the removal of %d forwarded jobs: %w",
			len(rejects), len(jobs), err)
	}
	return Forwarded{Moved: len(jobs), Rejected: rejections(rejects)}, nil
}

// pgxConn returns the pgx connection under a database/sql driver connection.
func pgxConn(dc any) (*pgx.Conn, error) {
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		return nil, fmt.Errorf("outbox: connection is a %T, want pgx's", dc)
	}
	return sc.Conn(), nil
}

// rejectSQLiteSQL sets aside the row whose seq and job_id are $3 and $4, if it is still in
// the outbox (another forwarder may have set it aside already): $1 is the reason, $2 the
// time in ms.
const rejectSQLiteSQL = "INSERT INTO " + RejectedTable + " (seq, job_id, job, payload, reason, rejected_at) SELECT seq, job_id, job, payload, ?, ? FROM " +
	Table + " WHERE seq = ? AND job_id = ?"

func (o *Outbox) forwardSQLite(ctx context.Context, limit int, move func(ctx context.Context, jobs []*Job) error) (Forwarded, error) {
	if err := o.inTx(ctx, func(execer) error { return nil }); err != nil { // the commit barrier
		return Forwarded{}, err
	}
	rows, err := readBatch(ctx, o.db, "SELECT seq, job_id, job, payload FROM "+Table+" ORDER BY seq LIMIT ?", limit)
	if err != nil || len(rows) == 0 {
		return Forwarded{}, err
	}
	jobs, rejects := split(rows)
	if len(jobs) > 0 {
		if err := move(ctx, jobs); err != nil {
			return Forwarded{}, err
		}
	}
	var setAside []rejectedRow
	// Every row up to the last one read was read: SQLite has one writer at a time, so a row
	// with a smaller seq committed before any with a larger one.
	err = o.inTx(ctx, func(ex execer) error {
		setAside = setAside[:0]
		now := time.Now().UnixMilli()
		for _, r := range rejects {
			res, err := ex.ExecContext(ctx, rejectSQLiteSQL, r.reason, now, r.Seq, r.JobID)
			if err != nil {
				return fmt.Errorf("outbox: set aside row %d: %w", r.Seq, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("outbox: set aside row %d: %w", r.Seq, err)
			} else if n > 0 {
				setAside = append(setAside, r)
			}
		}
		if _, err := ex.ExecContext(ctx, "DELETE FROM "+Table+" WHERE seq <= ?", rows[len(rows)-1].Seq); err != nil {
			return fmt.Errorf("outbox: delete %d forwarded jobs: %w", len(jobs), err)
		}
		return nil
	})
	if err != nil {
		return Forwarded{}, err
	}
	return Forwarded{Moved: len(jobs), Rejected: rejections(setAside)}, nil
}

// readBatch reads the rows query q returns, its one argument limit.
func readBatch(ctx context.Context, ex execer, q string, limit int) ([]outboxRow, error) {
	rows, err := ex.QueryContext(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: read: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.Seq, &r.JobID, &r.Job, &r.Payload); err != nil {
			return nil, fmt.Errorf("outbox: read: %w", err)
		}
		out = append(out, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("outbox: read: %w", err)
	}
	return out, nil
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
