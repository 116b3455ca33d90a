package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Ack records the outcome of runs in one transaction. Each ack applies only while its job
// is active, and, when the ack names a StartedAt, only to that run; other acks are ignored.
// Retry, snooze and release wake the job's tier, and so does any ack that ends a run while
// jobs of the tier wait (a fetcher held back by a Cap can claim the freed place). Retry, snooze and
// release wake the job's tier.
func (s *Store) Ack(ctx context.Context, acks []store.Ack) error {
	if len(acks) == 0 {
		return nil
	}
	p := lowestPriority
	for _, a := range acks {
		p = min(p, priorityOf(a.Tier))
	}
	return s.write(ctx, writeOp{name: "ack", priority: p, cost: len(acks)}, func(tx *sql.Tx, wake *tierSet) error {
		var d deltas
		stmts := txStmts{tx: tx}
		for _, a := range acks {
			tier, ok, err := s.ackOne(&stmts, a)
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
			case store.AckRetry, store.AckSnooze:
				c.delayed++
				wake.add(tier)
			case store.AckRelease:
				c.waiting++
				wake.add(tier)
			case store.AckFail:
				c.failed++
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

// ackOne applies one ack and returns the job's tier, or ok false if it was not active.
func (s *Store) ackOne(tx *txStmts, a store.Ack) (tier store.Tier, ok bool, err error) {
	var row *sql.Row
	switch a.Kind {
	case store.AckComplete:
		row = tx.stmt(s.stmt.completeDelete).QueryRow(a.ID, a.StartedAt, a.StartedAt)
		tier, ok, err = scanTier(row)
		if ok || err != nil {
			return tier, ok, err
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
		return 0, false, fmt.Errorf("unknown ack kind %d", a.Kind)
	}
	return scanTier(row)
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
