package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// sqlSetPaused sets a tier's pause flag.
const sqlSetPaused = `UPDATE slaq_tiers SET paused = ? WHERE tier = ?`

// SetPaused pauses or resumes tier for every process sharing the file. Resuming wakes the
// tier's waiters in this process; other processes notice within their ExternalChangeInterval.
// It returns once the commit is durable.
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
