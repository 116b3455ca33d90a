package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// RecomputeBalance sets the wallet of (userID, currency) to what its completed transactions
// add up to (deposits minus withdrawals) and returns it. It is idempotent: run twice, or
// after a crash, it gives the same balance.
func (d *DB) RecomputeBalance(ctx context.Context, userID int64, currency string) (int64, error) {
	var bal int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, d.q(`SELECT COALESCE(SUM(CASE kind WHEN 'withdrawal' THEN -amount_minor ELSE amount_minor END), 0)
			FROM transactions WHERE user_id = ? AND currency = ? AND status = 'completed'`), userID, currency).Scan(&bal)
		if err != nil {
			return fmt.Errorf("ledger: sum transactions: %w", err)
		}
		_, err = tx.ExecContext(ctx, d.q(`INSERT INTO wallets (user_id, currency, balance_minor, synced_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id, currency) DO UPDATE SET balance_minor = excluded.balance_minor, synced_at = excluded.synced_at`),
			userID, currency, bal, d.now())
		if err != nil {
			return fmt.Errorf("ledger: store balance: %w", err)
		}
		return nil
	})
	return bal, err
}

// Balance returns the wallet's stored balance (as of its last sync), or ErrNotFound for a
// wallet never synced.
func (d *DB) Balance(ctx context.Context, userID int64, currency string) (int64, error) {
	var bal int64
	err := d.r.QueryRowContext(ctx, d.q("SELECT balance_minor FROM wallets WHERE user_id = ? AND currency = ?"), userID, currency).Scan(&bal)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("ledger: wallet %d %s: %w", userID, currency, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("ledger: wallet %d %s: %w", userID, currency, err)
	}
	return bal, nil
}
