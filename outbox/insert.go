package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/slaqhq/slaq/store"
)

// Insert writes jobs into the outbox within tx, in one INSERT statement. They exist for slaq
// when tx commits, and not at all if it rolls back. On SQLite it signals this process's
// forwarder, whose next move waits for tx's write lock.
func (o *Outbox) Insert(ctx context.Context, tx *sql.Tx, jobs []*store.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	q, args, err := o.insertStmt(jobs)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("outbox: insert %d jobs: %w", len(jobs), err)
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
	q, args, err := o.insertStmt(jobs)
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

func (o *Outbox) insertStmt(jobs []*store.Job) (string, []any, error) {
	var b strings.Builder
	b.WriteString("INSERT INTO " + Table + " (job_id, job, payload) VALUES ")
	args := make([]any, 0, 3*len(jobs))
	for i, j := range jobs {
		rec := *j
		rec.Payload = nil
		enc, err := json.Marshal(&rec)
		if err != nil {
			return "", nil, fmt.Errorf("outbox: encode job %s: %w", j.ID, err)
		}
		payload := j.Payload
		if payload == nil {
			payload = []byte{}
		}
		if i > 0 {
			b.WriteByte(',')
		}
		if o.dialect == Postgres {
			n := 3 * i
			b.WriteString("($" + strconv.Itoa(n+1) + ",$" + strconv.Itoa(n+2) + ",$" + strconv.Itoa(n+3) + ")")
		} else {
			b.WriteString("(?,?,?)")
		}
		args = append(args, j.ID, enc, payload)
	}
	return b.String(), args, nil
}

func decodeJob(enc, payload []byte) (*store.Job, error) {
	var j store.Job
	if err := json.Unmarshal(enc, &j); err != nil {
		return nil, fmt.Errorf("outbox: decode job: %w", err)
	}
	j.Payload = payload
	return &j, nil
}
