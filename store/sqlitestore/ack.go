package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Ack's statements, one per outcome. Each applies only to an active job and, when the ack
// names a StartedAt (?4, ?5 or the last two), only to that run.
const (
	sqlCompleteDelete = `DELETE FROM slaq_jobs WHERE id = ? AND state = 'active' AND retain_ms = 0
	AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlCompleteKeep = `UPDATE slaq_jobs SET state = 'completed', finished_at = ?, result = ?,
	lease_until = 0 WHERE id = ? AND state = 'active' AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlRetry = `UPDATE slaq_jobs SET state = 'delayed', attempts = attempts + 1, run_at = ?,
	last_error = ?, lease_until = 0 WHERE id = ? AND state = 'active' AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlSnooze = `UPDATE slaq_jobs SET state = 'delayed', run_at = ?, lease_until = 0
	WHERE id = ? AND state = 'active' AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlRelease = `UPDATE slaq_jobs SET state = 'waiting', lease_until = 0
	WHERE id = ? AND state = 'active' AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlFail = `UPDATE slaq_jobs SET state = 'failed', attempts = attempts + 1, last_error = ?,
	finished_at = ?, lease_until = 0 WHERE id = ? AND state = 'active' AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlTierWaiting = `SELECT waiting FROM slaq_tiers WHERE tier = ?`
)

// Ack records the outcome of runs in one transaction, ack by ack. Each ack applies only while
// its job is active, and, when the ack names a StartedAt, only to that run; other acks are
// ignored. Completions with KeepCompleted > 0 then delete the oldest completed jobs of their
// tier beyond that many, once per tier at the end of the batch (with the smallest
// KeepCompleted the batch names for the tier), in the same transaction. Retry, snooze and release wake the job's tier, and so does any ack
// that ends a run while jobs of the tier wait (a fetcher held back by a Cap can claim the
// freed place). The write lock is taken with the priority of the most urgent tier among the
// acks' ids.
func (s *Store) Ack(ctx context.Context, acks []store.Ack) error {
	if len(acks) == 0 {
		return nil
	}
	p := lowestPriority
	for _, a := range acks {
		if t, err := store.TierOfID(a.ID); err == nil {
			p = min(p, priorityOf(t))
		}
	}
	return s.write(ctx, writeOp{name: "ack", priority: p, cost: len(acks)}, func(tx *sql.Tx, wake *tierSet) error {
		var d deltas
		var keep [store.NumTiers]int64 // the smallest KeepCompleted of the batch's completions, per tier
		stmts := txStmts{tx: tx}
		for _, a := range acks {
			tier, ok, deleted, err := s.ackOne(&stmts, a)
			if err != nil {
				return fmt.Errorf("ack %s of job %s: %w", kindName(a.Kind), a.ID, err)
			}
			if !ok || !tier.Valid() {
				continue
			}
			c := &d[tier.Index()]
			c.active--
			switch a.Kind {
			case store.AckComplete:
				c.completed++
				if !deleted {
					c.completedKept++
				}
			case store.AckRetry, store.AckSnooze:
				c.delayed++
				wake.add(tier)
			case store.AckRelease:
				c.waiting++
				wake.add(tier)
			case store.AckFail:
				c.failed++
				c.failedKept++
			}
			if k := int64(a.KeepCompleted); a.Kind == store.AckComplete && k > 0 && (keep[tier.Index()] == 0 || k < keep[tier.Index()]) {
				keep[tier.Index()] = k
			}
		}
		for i, k := range keep {
			if k > 0 {
				if err := s.trimCompleted(&stmts, store.Tiers[i], k, &d[i]); err != nil {
					return fmt.Errorf("ack: %w", err)
				}
			}
		}
		if err := d.apply(tx, s.stmt.addCounts); err != nil {
			return err
		}
		// A freed place wakes the tier while jobs wait: a fetcher held back by a Cap claims it.
		for i, c := range d {
			if c.active < 0 && !wake.has(store.Tiers[i]) {
				var waiting int64
				if err := tx.Stmt(s.stmt.tierWaiting).QueryRow(i + 1).Scan(&waiting); err != nil {
					return fmt.Errorf("read waiting count of tier %d: %w", i+1, err)
				}
				if waiting > 0 {
					wake.add(store.Tiers[i])
				}
			}
		}
		return nil
	})
}

// trimCompleted deletes the oldest completed jobs of tier beyond keep and records it in c.
func (s *Store) trimCompleted(tx *txStmts, tier store.Tier, keep int64, c *delta) error {
	completed, _, err := kept(tx, s.stmt.kept, tier, c)
	if err != nil || completed <= keep {
		return err
	}
	n, err := execCount(tx.stmt(s.stmt.trimCompleted), int64(tier), completed-keep)
	if err != nil {
		return fmt.Errorf("trim completed jobs to %d: %w", keep, err)
	}
	c.completedKept -= n
	return nil
}

// ackOne applies one ack and returns the job's tier, or ok false if it was not active;
// deleted reports a completion that deleted the job (its RetainMs is 0).
func (s *Store) ackOne(tx *txStmts, a store.Ack) (tier store.Tier, ok, deleted bool, err error) {
	var row *sql.Row
	switch a.Kind {
	case store.AckComplete:
		row = tx.stmt(s.stmt.completeDelete).QueryRow(a.ID, a.StartedAt, a.StartedAt)
		tier, ok, err = scanTier(row)
		if ok || err != nil {
			return tier, ok, ok, err
		}
		row = tx.stmt(s.stmt.completeKeep).QueryRow(a.Now, a.Result, a.ID, a.StartedAt, a.StartedAt)
	case store.AckRetry:
		row = tx.stmt(s.stmt.retry).QueryRow(a.RunAt, a.Error, a.ID, a.StartedAt, a.StartedAt)
	case store.AckSnooze:
		row = tx.stmt(s.stmt.snooze).QueryRow(a.RunAt, a.ID, a.StartedAt, a.StartedAt)
	case store.AckRelease:
		row = tx.stmt(s.stmt.release).QueryRow(a.ID, a.StartedAt, a.StartedAt)
	case store.AckFail:
		row = tx.stmt(s.stmt.fail).QueryRow(a.Error, a.Now, a.ID, a.StartedAt, a.StartedAt)
	default:
		return 0, false, false, fmt.Errorf("unknown ack kind %d", a.Kind)
	}
	tier, ok, err = scanTier(row)
	return tier, ok, false, err
}

// scanTier reads the tier a RETURNING statement returned, or ok false if it matched nothing.
func scanTier(row *sql.Row) (store.Tier, bool, error) {
	var t int64
	if err := row.Scan(&t); err != nil {
		if noRow(err) {
			return 0, false, nil
		}
		return 0, false, err
	}
	return store.Tier(t), true, nil
}

// kindName names an ack kind for error messages.
func kindName(k store.AckKind) string {
	switch k {
	case store.AckComplete:
		return "complete"
	case store.AckRetry:
		return "retry"
	case store.AckSnooze:
		return "snooze"
	case store.AckRelease:
		return "release"
	case store.AckFail:
		return "fail"
	}
	return fmt.Sprintf("kind(%d)", k)
}
