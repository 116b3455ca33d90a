package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Clean's statements, each bounded by a LIMIT and walking an index: completed jobs by the
// end of their retention, failed jobs by finish time, unique keys by expiry. The count limits
// use sqlTrimCompleted and sqlTrimFailed.
const (
	sqlCleanCompletedAge = `DELETE FROM slaq_jobs WHERE seq IN (SELECT seq FROM slaq_jobs
	WHERE tier = ? AND state = 'completed' AND finished_at + retain_ms <= ?
	ORDER BY finished_at + retain_ms LIMIT ?)`
	sqlCleanFailedAge = `DELETE FROM slaq_jobs WHERE seq IN (SELECT seq FROM slaq_jobs
	WHERE tier = ? AND state = 'failed' AND finished_at <= ? ORDER BY finished_at, seq LIMIT ?)`
	sqlCleanUnique = `DELETE FROM slaq_unique WHERE tier = ?1 AND key IN (SELECT key FROM slaq_unique
	WHERE tier = ?1 AND expires_at <= ?2 ORDER BY expires_at LIMIT ?3)`
)

// Clean enforces retention in req.Tier in one transaction. It deletes completed jobs whose
// FinishedAt + RetainMs <= req.Now, then the oldest completed jobs beyond req.KeepCompleted
// (0: no count limit), at most req.Limit completed jobs in all; then failed jobs whose
// FinishedAt + req.FailedRetainMs <= req.Now (FailedRetainMs <= 0: none by age), then the
// oldest failed jobs beyond req.KeepFailed (0: no count limit), at most req.Limit failed jobs
// in all; and drops up to req.Limit of the tier's expired unique keys. Every step walks an
// index, so a call costs O(log n + Limit) whatever the tier holds. The running totals of
// Counts are unchanged. A Limit below 1 is an error.
func (s *Store) Clean(ctx context.Context, req store.CleanRequest) (store.CleanResult, error) {
	var res store.CleanResult
	if err := checkTier(req.Tier); err != nil {
		return res, fmt.Errorf("sqlitestore: clean: %w", err)
	}
	if req.Limit < 1 {
		return res, fmt.Errorf("sqlitestore: clean: Limit %d: want at least 1", req.Limit)
	}
	tier, limit := int64(req.Tier), int64(req.Limit)
	err := s.write(ctx, writeOp{name: "clean", priority: lowestPriority, cost: costUnbounded}, func(tx *sql.Tx, _ *tierSet) error {
		stmts := txStmts{tx: tx}
		var d delta
		n, err := execCount(stmts.stmt(s.stmt.cleanCompletedAge), tier, req.Now, limit)
		if err != nil {
			return fmt.Errorf("completed jobs by age: %w", err)
		}
		d.completedKept = -n
		if req.FailedRetainMs > 0 {
			if n, err = execCount(stmts.stmt(s.stmt.cleanFailedAge), tier, req.Now-req.FailedRetainMs, limit); err != nil {
				return fmt.Errorf("failed jobs by age: %w", err)
			}
			d.failedKept = -n
		}
		if req.KeepCompleted > 0 || req.KeepFailed > 0 {
			completed, failed, err := kept(&stmts, s.stmt.kept, req.Tier, &d)
			if err != nil {
				return err
			}
			if excess := min(completed-int64(req.KeepCompleted), limit+d.completedKept); req.KeepCompleted > 0 && excess > 0 {
				if n, err = execCount(stmts.stmt(s.stmt.trimCompleted), tier, excess); err != nil {
					return fmt.Errorf("completed jobs beyond %d: %w", req.KeepCompleted, err)
				}
				d.completedKept -= n
			}
			if excess := min(failed-int64(req.KeepFailed), limit+d.failedKept); req.KeepFailed > 0 && excess > 0 {
				if n, err = execCount(stmts.stmt(s.stmt.trimFailed), tier, excess); err != nil {
					return fmt.Errorf("failed jobs beyond %d: %w", req.KeepFailed, err)
				}
				d.failedKept -= n
			}
		}
		if _, err := execCount(stmts.stmt(s.stmt.cleanUnique), tier, req.Now, limit); err != nil {
			return fmt.Errorf("expired unique keys: %w", err)
		}
		res = store.CleanResult{Completed: int(-d.completedKept), Failed: int(-d.failedKept)}
		var all deltas
		all[req.Tier.Index()] = d
		return all.apply(tx, s.stmt.addCounts)
	})
	if err != nil {
		return store.CleanResult{}, err
	}
	return res, nil
}
