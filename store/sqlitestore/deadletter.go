package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// The dead-letter statements. Failed reads the index of failed jobs by finish time.
const (
	sqlFailed = `SELECT ` + jobCols + ` FROM slaq_jobs WHERE tier = ? AND state = 'failed'
	ORDER BY finished_at, seq LIMIT ?`
	sqlDeleteFailed = `DELETE FROM slaq_jobs WHERE id = ? AND tier = ? AND state = 'failed'`
)

// Failed returns up to limit failed jobs of tier, oldest first (by FinishedAt), from a read
// connection. A limit below 1 is an error.
func (s *Store) Failed(ctx context.Context, tier store.Tier, limit int) ([]*store.Job, error) {
	if err := checkTier(tier); err != nil {
		return nil, fmt.Errorf("sqlitestore: failed: %w", err)
	}
	if limit < 1 {
		return nil, fmt.Errorf("sqlitestore: failed: limit %d: want at least 1", limit)
	}
	if s.closed.Load() {
		return nil, errClosed("failed")
	}
	rows, err := s.stmt.failed.QueryContext(ctx, int64(tier), limit)
	if err != nil {
		return nil, s.readErr("failed", err)
	}
	jobs, _, err := scanJobs(rows)
	if err != nil {
		return nil, s.readErr("failed", err)
	}
	return jobs, nil
}

// DeleteFailed deletes those of ids that are failed jobs of tier, in one transaction, and
// returns the ids it deleted, in the order given; other ids are left alone. Each delete
// checks the state under the file's write lock, so when processes sharing the file delete
// the same ids, each id is returned to exactly one of them. Counts.Failed, a running total,
// is unchanged.
func (s *Store) DeleteFailed(ctx context.Context, tier store.Tier, ids []string) ([]string, error) {
	if err := checkTier(tier); err != nil {
		return nil, fmt.Errorf("sqlitestore: delete failed: %w", err)
	}
	deleted := make([]string, 0, len(ids))
	if len(ids) == 0 {
		return deleted, nil
	}
	err := s.write(ctx, writeOp{name: "delete failed", priority: lowestPriority, cost: len(ids)}, func(tx *sql.Tx, _ *tierSet) error {
		del := tx.Stmt(s.stmt.deleteFailed)
		for _, id := range ids {
			n, err := execCount(del, id, int64(tier))
			if err != nil {
				return fmt.Errorf("job %s: %w", id, err)
			}
			if n > 0 {
				deleted = append(deleted, id)
			}
		}
		var d deltas
		d[tier.Index()].failedKept = -int64(len(deleted))
		return d.apply(tx, s.stmt.addCounts)
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}
