package ledger

import (
	"context"
	"fmt"
)

// Filter selects transactions; zero fields select all.
type Filter struct {
	UserID   int64  // 0: every user
	Status   string // "": every status
	Currency string // "": every currency
	From     int64  // created at or after (Unix ms); 0: no bound
	To       int64  // created before (Unix ms); 0: no bound
}

// EachTransaction calls f for every transaction f matches, oldest first, streaming them
// (a report over millions of rows holds one at a time). It stops at f's first error.
func (d *DB) EachTransaction(ctx context.Context, flt Filter, f func(Transaction) error) error {
	q := "SELECT " + txCols + " FROM transactions WHERE 1 = 1"
	var args []any
	if flt.UserID != 0 {
		q, args = q+" AND user_id = ?", append(args, flt.UserID)
	}
	if flt.Status != "" {
		q, args = q+" AND status = ?", append(args, flt.Status)
	}
	if flt.Currency != "" {
		q, args = q+" AND currency = ?", append(args, flt.Currency)
	}
	if flt.From != 0 {
		q, args = q+" AND created_at >= ?", append(args, flt.From)
	}
	if flt.To != 0 {
		q, args = q+" AND created_at < ?", append(args, flt.To)
	}
	rows, err := d.r.QueryContext(ctx, d.q(q+" ORDER BY created_at, id"), args...)
	if err != nil {
		return fmt.Errorf("ledger: list transactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTx(rows)
		if err != nil {
			return err
		}
		if err := f(t); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ledger: list transactions: %w", err)
	}
	return nil
}
