package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slaqhq/slaq/store"
)

// Insert writes jobs into the outbox within tx, in one INSERT statement. They exist for slaq
// when tx commits, and not at all if it rolls back.
//
// On PostgreSQL, while a forwarder in this process listens, the INSERT also takes the
// shared advisory lock of its commit-watch group, through which this process's forwarder
// learns when tx ends (no NOTIFY; see the package documentation); otherwise it NOTIFYs the
// outbox's channel, which PostgreSQL delivers at commit. On SQLite it signals this process's
// forwarder, whose next move waits for tx's write lock.
func (o *Outbox) Insert(ctx context.Context, tx *sql.Tx, jobs []*store.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	if tx == nil {
		return errors.New("outbox: insert: nil transaction")
	}
	mode, e := announceNone, (*epoch)(nil)
	if o.dialect == Postgres {
		mode = announceNotify
		if o.watch != nil {
			mode, e = o.watch.enter(tx)
		}
	}
	q, args, err := o.insertStmt(jobs, mode, e)
	if err == nil {
		if _, err = tx.ExecContext(ctx, q, args...); err != nil {
			err = fmt.Errorf("outbox: insert %d jobs: %w", len(jobs), err)
		}
	}
	if e != nil {
		o.watch.leave(e, tx, err == nil)
	}
	if err != nil {
		return err
	}
	if o.dialect == SQLite {
		o.signal()
	}
	return nil
}

// Add writes jobs into the outbox in a transaction of its own (the spool), refusing them with
// an error wrapping ErrFull when the outbox would hold more than Options.Limit jobs.
func (o *Outbox) Add(ctx context.Context, jobs []*store.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	mode := announceNone
	if o.dialect == Postgres {
		mode = announceNotify // for forwarders in other processes
	}
	q, args, err := o.insertStmt(jobs, mode, nil)
	if err != nil {
		return err
	}
	err = o.inTx(ctx, func(ex execer) error {
		if o.limit > 0 {
			var n int
			// seq has no gaps in a spool (only Add inserts, and forwarders delete from the
			// head), so this is the row count at the cost of two index probes.
			if err := ex.QueryRowContext(ctx, "SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM "+Table).Scan(&n); err != nil {
				return fmt.Errorf("outbox: count: %w", err)
			}
			if n+len(jobs) > o.limit {
				return fmt.Errorf("outbox: holds %d jobs, adding %d would pass the limit of %d: %w", n, len(jobs), o.limit, ErrFull)
			}
		}
		if _, err := ex.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("outbox: insert %d jobs: %w", len(jobs), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	o.spooled.Add(int64(len(jobs)))
	o.signal()
	return nil
}

// insertStmt builds the INSERT of jobs, announced as mode says: on PostgreSQL the lock of
// epoch e or a NOTIFY is a function in the FROM clause, evaluated once per statement.
func (o *Outbox) insertStmt(jobs []*store.Job, mode insertMode, e *epoch) (string, []any, error) {
	args := make([]any, 0, 3*len(jobs)+2)
	switch mode {
	case announceLock:
		args = append(args, o.watch.class, e.key)
	case announceNotify:
		args = append(args, o.channel)
	}
	buf := make([]byte, 0, 320*len(jobs))
	for _, j := range jobs {
		start := len(buf)
		var err error
		if buf, err = appendRecord(buf, j); err != nil {
			return "", nil, fmt.Errorf("outbox: encode job %s: %w", j.ID, err)
		}
		payload := j.Payload
		if payload == nil {
			payload = []byte{}
		}
		args = append(args, j.ID, buf[start:len(buf):len(buf)], payload)
	}
	if len(jobs) == 1 {
		return o.insertOne[mode], args, nil
	}
	return o.insertSQL(len(jobs), mode), args, nil
}

// insertSQL is the text of an INSERT of n jobs announced as mode says. The announcing function
// is called in a subquery of the FROM clause, which PostgreSQL evaluates once, in a Result
// node: a set-returning call in FROM is a Function Scan, which materialises its one row and
// cost the caller's transaction a few microseconds more (measured side by side).
func (o *Outbox) insertSQL(n int, mode insertMode) string {
	head := "INSERT INTO " + Table + " (job_id, job, payload) "
	if o.dialect != Postgres {
		return head + "VALUES (?,?,?)" + strings.Repeat(",(?,?,?)", n-1)
	}
	first, from := 1, ""
	switch mode {
	case announceLock:
		first, from = 3, " FROM (SELECT pg_advisory_xact_lock_shared($1::int4, $2::int4)) AS l"
	case announceNotify:
		first, from = 2, " FROM (SELECT pg_notify($1, '')) AS l"
	}
	rows := make([]string, n)
	for i := range rows {
		k := first + 3*i
		rows[i] = "$" + strconv.Itoa(k) + "::text,$" + strconv.Itoa(k+1) + "::bytea,$" + strconv.Itoa(k+2) + "::bytea"
	}
	switch {
	case mode == announceNone:
		return head + "VALUES (" + strings.Join(rows, "),(") + ")"
	case n == 1:
		return head + "SELECT " + rows[0] + from
	}
	return head + "SELECT v.*" + from + ", (VALUES (" + strings.Join(rows, "),(") + ")) AS v (job_id, job, payload)"
}

func decodeJob(enc, payload []byte) (*store.Job, error) {
	var j store.Job
	if err := json.Unmarshal(enc, &j); err != nil {
		return nil, fmt.Errorf("outbox: decode job: %w", err)
	}
	j.Payload = payload
	return &j, nil
}
