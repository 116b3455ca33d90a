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
// removed. Ids that are not in the queue are ignored.
func (db *DB) Delete(ctx context.Context, jobIDs ...string) (int, error) {
	if len(jobIDs) == 0 {
		return 0, nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("dlq: delete from %s: begin: %w", db.where, err)
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
		res, err := tx.ExecContext(ctx, "DELETE FROM failed_jobs WHERE job_id IN ("+strings.Join(marks, ", ")+")", args...)
		if err != nil {
			return 0, fmt.Errorf("dlq: delete from %s: %w", db.where, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("dlq: delete from %s: count rows: %w", db.where, err)
		}
		total += int(n)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("dlq: delete from %s: commit: %w", db.where, err)
	}
	return total, nil
}

// Purge removes every entry that failed before olderThan (Unix ms: FailedAt < olderThan) and
// returns how many it removed.
func (db *DB) Purge(ctx context.Context, olderThan int64) (int, error) {
	res, err := db.sql.ExecContext(ctx, "DELETE FROM failed_jobs WHERE failed_at < $1", olderThan)
	if err != nil {
		return 0, fmt.Errorf("dlq: purge %s: %w", db.where, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("dlq: purge %s: count rows: %w", db.where, err)
	}
	return int(n), nil
}
