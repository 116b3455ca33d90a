package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Webhook is one provider notification about a payment, already verified.
type Webhook struct {
	Provider  string // "cryptomus" or "nowpayments"
	PaymentID string // the provider's payment id: the idempotency key
	Status    string // the provider's status, as sent
	OrderID   string // our transaction id, as given to the provider
	// Outcome is what the status means for the transaction: StatusCompleted, StatusFailed,
	// StatusProcessing, or "" (nothing to change).
	Outcome string
}

// WebhookResult says what ApplyWebhook did.
type WebhookResult struct {
	Duplicate   bool        // this (provider, payment id, status) was applied before: nothing changed
	Moved       bool        // the transaction changed state
	Transaction Transaction // the transaction after the change
}

// ApplyWebhook records w and moves its transaction, in one SQL transaction. It is
// idempotent on the provider's payment id: a resent notification (same payment, same
// status) changes nothing, a payment id already attached to another transaction is refused,
// and a completed or failed transaction never changes again, so a payment is credited once.
func (d *DB) ApplyWebhook(ctx context.Context, w Webhook) (WebhookResult, error) {
	var res WebhookResult
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, d.q(`INSERT INTO webhook_events (provider, payment_id, status, order_id, received_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, payment_id, status) DO NOTHING`),
			w.Provider, w.PaymentID, w.Status, w.OrderID, d.now())
		if err != nil {
			return fmt.Errorf("ledger: record webhook: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			res.Duplicate = true
			return nil
		}
		var from []string
		switch w.Outcome {
		case StatusCompleted, StatusFailed:
			from = []string{StatusPending, StatusProcessing}
		case StatusProcessing:
			from = []string{StatusPending}
		}
		if len(from) > 0 {
			if res.Moved, err = d.move(ctx, tx, w.OrderID, from, w.Outcome, "", w.Provider, w.PaymentID); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, d.q("SELECT "+txCols+" FROM transactions WHERE id = ?"), w.OrderID)
		if err != nil {
			return fmt.Errorf("ledger: transaction %s: %w", w.OrderID, err)
		}
		defer rows.Close()
		if !rows.Next() {
			return errors.Join(rows.Err(), fmt.Errorf("ledger: webhook for transaction %s: %w", w.OrderID, ErrNotFound))
		}
		res.Transaction, err = scanTx(rows)
		return err
	})
	return res, err
}
