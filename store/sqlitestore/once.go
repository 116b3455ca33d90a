package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
)

// sqlOnce claims a slot in one statement: it inserts the key, or takes over a row whose
// expiry has passed; a row still held is left alone and no row changes.
const sqlOnce = `INSERT INTO slaq_once (key, expires_at) VALUES (?1, ?2 + ?3)
	ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE slaq_once.expires_at <= ?2`

// Once claims the slot key until now + ttlMs, measured on the callers' clocks (now), in one
// statement of its own transaction, so processes sharing the file see one winner per window.
// A lapsed slot's row is taken over by the next winner; rows of keys never claimed again stay
// (one small row per key). It returns once the commit is durable, so a claim that was won is
// not undone by power loss.
func (s *Store) Once(ctx context.Context, key string, now, ttlMs int64) (bool, error) {
	if key == "" || ttlMs < 1 {
		return false, fmt.Errorf("sqlitestore: once %q: need a key and a ttl of at least 1 ms (got %d)", key, ttlMs)
	}
	var won bool
	err := s.write(ctx, writeOp{name: "once", priority: lowestPriority, cost: 1, durable: true}, func(tx *sql.Tx, _ *tierSet) error {
		n, err := execCount(tx.Stmt(s.stmt.once), key, now, ttlMs)
		won = n == 1
		return err
	})
	if err != nil {
		return false, err
	}
	return won, nil
}
