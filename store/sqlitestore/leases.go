package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// The lease statements. Rescue finds lapsed leases through the index of active jobs by
// lease end.
const (
	sqlExtend = `UPDATE slaq_jobs SET lease_until = ? WHERE id = ? AND tier = ? AND state = 'active'`
	sqlRescue = `UPDATE slaq_jobs SET state = 'waiting', run_at = ?1, lease_until = 0
	WHERE tier = ?2 AND state = 'active' AND lease_until < ?1`
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
		var err error
		if n, err = execCount(tx.Stmt(s.stmt.rescue), now, int64(tier)); err != nil || n == 0 {
			return err
		}
		wake.add(tier)
		var d deltas
		d[tier.Index()] = delta{waiting: n, active: -n}
		return d.apply(tx, s.stmt.addCounts)
	})
	return int(n), err
}
