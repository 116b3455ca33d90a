package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Cancel's statements. The unique key is released only if the cancelled job still holds it.
const (
	sqlCancel = `DELETE FROM slaq_jobs WHERE id = ? AND state IN ('waiting', 'delayed', 'held')
	RETURNING state, unique_key`
	sqlJobState      = `SELECT state FROM slaq_jobs WHERE id = ?`
	sqlReleaseUnique = `DELETE FROM slaq_unique WHERE tier = ? AND key = ? AND job_id = ?`
)

// Cancel deletes the waiting or delayed job with id and, if it still holds its unique key
// (the key's TTL may have passed and another job taken it), releases the key, in one
// transaction. It returns an error wrapping store.ErrNotFound when the job is missing, or
// store.ErrNotCancellable when it is in another state (nothing changes then). It returns
// once the commit is durable.
func (s *Store) Cancel(ctx context.Context, id string) error {
	tier, err := store.TierOfID(id)
	if err != nil {
		return fmt.Errorf("sqlitestore: cancel: %w", err)
	}
	return s.write(ctx, writeOp{name: "cancel", priority: lowestPriority, cost: 1, durable: true}, func(tx *sql.Tx, _ *tierSet) error {
		var state, key string
		err := tx.Stmt(s.stmt.cancel).QueryRow(id).Scan(&state, &key)
		if noRow(err) {
			err = tx.Stmt(s.stmt.jobState).QueryRow(id).Scan(&state)
			if noRow(err) {
				return fmt.Errorf("job %s: %w", id, store.ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("job %s: %w", id, err)
			}
			return fmt.Errorf("job %s is %s: %w", id, state, store.ErrNotCancellable)
		}
		if err != nil {
			return fmt.Errorf("job %s: %w", id, err)
		}
		if key != "" {
			if _, err := tx.Stmt(s.stmt.releaseUnique).Exec(int64(tier), key, id); err != nil {
				return fmt.Errorf("release unique key %q: %w", key, err)
			}
		}
		var d deltas
		if store.State(state) == store.StateDelayed {
			d[tier.Index()].delayed = -1
		} else {
			d[tier.Index()].waiting = -1
		}
		return d.apply(tx, s.stmt.addCounts)
	})
}
