package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// ExtendLeases sets LeaseUntil = until on those of ids that are still active in tier.
func (s *Store) ExtendLeases(ctx context.Context, tier store.Tier, ids []string, until int64) error {
	if err := checkTier(tier); err != nil {
		return fmt.Errorf("sqlitestore: extend leases: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	return s.write(ctx, writeOp{name: "extend leases", priority: priorityOf(tier), cost: len(ids)}, func(tx *sql.Tx, _ *tierSet) error {
		extend := tx.Stmt(s.stmt.extend)
		for _, id := range ids {
			if _, err := extend.Exec(until, id, int64(tier)); err != nil {
				return fmt.Errorf("job %s: %w", id, err)
			}
		}
		return nil
	})
}

// Rescue returns active jobs of tier whose lease ended before now to waiting with
// RunAt = now, without spending an attempt, wakes the tier if it moved any, and returns
// how many it moved.
func (s *Store) Rescue(ctx context.Context, tier store.Tier, now int64) (int, error) {
	if err := checkTier(tier); err != nil {
		return 0, fmt.Errorf("sqlitestore: rescue: %w", err)
	}
	var n int64
	err := s.write(ctx, writeOp{name: "rescue", priority: priorityOf(tier), cost: costUnbounded}, func(tx *sql.Tx, wake *tierSet) error {
		r, err := tx.Stmt(s.stmt.rescue).Exec(now, int64(tier))
		if err != nil {
			return err
		}
		if n, err = r.RowsAffected(); err != nil || n == 0 {
			return err
		}
		wake.add(tier)
		var d deltas
		d[tier.Index()] = delta{waiting: n, active: -n}
		return d.apply(tx, s.stmt.addCounts)
	})
	return int(n), err
}

// Forget deletes those of ids that are failed jobs of tier; others are ignored.
// Counts.Failed, a running total, is unchanged.
func (s *Store) Forget(ctx context.Context, tier store.Tier, ids []string) error {
	if err := checkTier(tier); err != nil {
		return fmt.Errorf("sqlitestore: forget: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	return s.write(ctx, writeOp{name: "forget", priority: lowestPriority, cost: len(ids)}, func(tx *sql.Tx, _ *tierSet) error {
		forget := tx.Stmt(s.stmt.forget)
		for _, id := range ids {
			if _, err := forget.Exec(id, int64(tier)); err != nil {
				return fmt.Errorf("job %s: %w", id, err)
			}
		}
		return nil
	})
}

// SetPaused pauses or resumes tier for every process sharing the file. Resuming wakes the
// tier's waiters in this process; other processes notice within their ExternalChangeInterval.
func (s *Store) SetPaused(ctx context.Context, tier store.Tier, paused bool) error {
	if err := checkTier(tier); err != nil {
		return fmt.Errorf("sqlitestore: set paused: %w", err)
	}
	return s.write(ctx, writeOp{name: "set paused", priority: lowestPriority, cost: 1, durable: true}, func(tx *sql.Tx, wake *tierSet) error {
		if _, err := tx.Stmt(s.stmt.setPaused).Exec(paused, int64(tier)); err != nil {
			return err
		}
		if !paused {
			wake.add(tier)
		}
		return nil
	})
}

// Clean deletes completed jobs of tier whose FinishedAt + RetainMs <= now, then all but the
// keep most recently finished (keep < 0: no count limit), and drops the tier's expired
// unique keys. It returns how many jobs it deleted. The Completed total is unchanged.
func (s *Store) Clean(ctx context.Context, tier store.Tier, now int64, keep int) (int, error) {
	if err := checkTier(tier); err != nil {
		return 0, fmt.Errorf("sqlitestore: clean: %w", err)
	}
	var deleted int64
	err := s.write(ctx, writeOp{name: "clean", priority: lowestPriority, cost: costUnbounded}, func(tx *sql.Tx, _ *tierSet) error {
		n, err := execCount(tx.Stmt(s.stmt.cleanAge), int64(tier), now)
		if err != nil {
			return fmt.Errorf("by age: %w", err)
		}
		deleted += n
		if keep >= 0 {
			if n, err = execCount(tx.Stmt(s.stmt.cleanKeep), int64(tier), keep); err != nil {
				return fmt.Errorf("by count: %w", err)
			}
			deleted += n
		}
		if _, err := tx.Stmt(s.stmt.cleanUnique).Exec(int64(tier), now); err != nil {
			return fmt.Errorf("expired unique keys: %w", err)
		}
		return nil
	})
	return int(deleted), err
}

// execCount runs stmt and returns how many rows it changed.
func execCount(stmt *sql.Stmt, args ...any) (int64, error) {
	r, err := stmt.Exec(args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}
