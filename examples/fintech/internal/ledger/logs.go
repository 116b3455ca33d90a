package ledger

import (
	"context"
	"fmt"
)

// Log writes one log row.
func (d *DB) Log(ctx context.Context, level, message string) error {
	if _, err := d.w.ExecContext(ctx, d.q("INSERT INTO logs (level, message, created_at) VALUES (?, ?, ?)"), level, message, d.now()); err != nil {
		return fmt.Errorf("ledger: log: %w", err)
	}
	return nil
}

// LogAt writes one log row dated at (Unix ms), for imports and tests.
func (d *DB) LogAt(ctx context.Context, level, message string, at int64) error {
	if _, err := d.w.ExecContext(ctx, d.q("INSERT INTO logs (level, message, created_at) VALUES (?, ?, ?)"), level, message, at); err != nil {
		return fmt.Errorf("ledger: log: %w", err)
	}
	return nil
}

// DeleteLogsBefore deletes at most limit log rows written before (Unix ms), oldest first,
// and returns how many it deleted; call it again while it returns limit.
func (d *DB) DeleteLogsBefore(ctx context.Context, before int64, limit int) (int64, error) {
	res, err := d.w.ExecContext(ctx, d.q(`DELETE FROM logs WHERE id IN
		(SELECT id FROM logs WHERE created_at < ? ORDER BY created_at LIMIT ?)`), before, limit)
	if err != nil {
		return 0, fmt.Errorf("ledger: delete old logs: %w", err)
	}
	return res.RowsAffected()
}

// CountLogs returns how many log rows there are.
func (d *DB) CountLogs(ctx context.Context) (int64, error) {
	var n int64
	if err := d.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM logs").Scan(&n); err != nil {
		return 0, fmt.Errorf("ledger: count logs: %w", err)
	}
	return n, nil
}
