package dlq

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// deleteChunk is how many job ids one DELETE statement names, well under both backends'
// limits on bound parameters.
const deleteChunk = 500

// Delete removes the entries of the given job ids in one transaction and returns how many it
// removed. Ids that are not in the queue are ignored. The query timeout bounds the whole
// transaction.
func (db *DB) Delete(ctx context.Context, jobIDs ...string) (int, error) {
	if len(jobIDs) == 0 {
		return 0, nil
	}
	qctx, cancel := db.bound(ctx)
	defer cancel()
	tx, err := db.sql.BeginTx(qctx, nil)
	if err != nil {
		return 0, fmt.Errorf("dlq: delete from %s: begin: %w", db.where, db.failed(ctx, qctx, err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	total := 0
	for start := 0; start < len(jobIDs); start += deleteChunk {
		chunk := jobIDs[start:min(start+deleteChunk, len(jobIDs))]
		marks := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, id := range chunk {
			marks[i] = "$" + strconv.Itoa(i+1)
			args[i] = id
		}
		res, err := tx.ExecContext(qctx, "DELETE FROM failed_jobs WHERE job_id IN ("+strings.Join(marks, ", ")+")", args...)
		if err != nil {
			return 0, fmt.Errorf("dlq: delete from %s: %w", db.where, db.failed(ctx, qctx, err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("dlq: delete from %s: count rows: %w", db.where, err)
		}
		total += int(n)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("dlq: delete from %s: commit: %w", db.where, db.failed(ctx, qctx, err))
	}
	return total, nil
}

// Purge removes every entry that failed before olderThan (Unix ms: FailedAt < olderThan) and
// returns how many it removed. It deletes purgeChunk entries per statement, each statement
// under its own query timeout, so that purging a large backlog makes progress however long
// it takes; on an error it returns how many it removed before it.
func (db *DB) Purge(ctx context.Context, olderThan int64) (int, error) {
	total := 0
	for {
		n, err := db.purgeSome(ctx, olderThan)
		total += n
		if err != nil || n < purgeChunk {
			return total, err
		}
	}
}

// purgeChunk is how many entries one statement of [DB.Purge] deletes at most.
const purgeChunk = 10_000

// purgeSome deletes up to purgeChunk of the entries that failed before olderThan.
func (db *DB) purgeSome(ctx context.Context, olderThan int64) (int, error) {
	qctx, cancel := db.bound(ctx)
	defer cancel()
	res, err := db.sql.ExecContext(qctx, `DELETE FROM failed_jobs WHERE id IN
		(SELECT id FROM failed_jobs WHERE failed_at < $1 ORDER BY failed_at, id LIMIT $2)`, olderThan, purgeChunk)
	if err != nil {
		return 0, fmt.Errorf("dlq: purge %s: %w", db.where, db.failed(ctx, qctx, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("dlq: purge %s: count rows: %w", db.where, err)
	}
	return int(n), nil
}
