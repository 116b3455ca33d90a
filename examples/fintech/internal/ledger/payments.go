package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// Transaction states: pending → processing → completed or failed.
const (
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
)

// Transaction kinds; a deposit adds to the wallet, a withdrawal takes from it.
const (
	KindDeposit    = "deposit"
	KindWithdrawal = "withdrawal"
)

// Transaction is one ledger row.
type Transaction struct {
	ID          string `json:"id"`
	UserID      int64  `json:"userId"`
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amountMinor"` // in cents
	Currency    string `json:"currency"`
	Method      string `json:"method"`
	Status      string `json:"status"`
	Provider    string `json:"provider,omitempty"`
	ProviderID  string `json:"providerPaymentId,omitempty"`
	Error       string `json:"error,omitempty"`
	CreatedAt   int64  `json:"createdAt"`
	UpdatedAt   int64  `json:"updatedAt"`
}

// NewPayment is what a payment request asks for.
type NewPayment struct {
	UserID      int64
	Kind        string // default KindDeposit
	AmountMinor int64
	Currency    string
	Method      string
	CreatedAt   int64 // default now; for imports and tests
}

// CreatePayment inserts a pending transaction and, in the same SQL transaction, calls also
// (e.g. to enqueue its job with slaq's EnqueueTx): both exist exactly when it returns nil.
func (d *DB) CreatePayment(ctx context.Context, p NewPayment, also func(tx *sql.Tx, t Transaction) error) (Transaction, error) {
	t, err := d.newTransaction(p)
	if err != nil {
		return Transaction{}, err
	}
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		if err := d.insert(ctx, tx, t); err != nil {
			return err
		}
		if also != nil {
			return also(tx, t)
		}
		return nil
	})
	if err != nil {
		return Transaction{}, err
	}
	return t, nil
}

func (d *DB) newTransaction(p NewPayment) (Transaction, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Transaction{}, fmt.Errorf("ledger: transaction id: %w", err)
	}
	if p.Kind == "" {
		p.Kind = KindDeposit
	}
	if p.CreatedAt == 0 {
		p.CreatedAt = d.now()
	}
	return Transaction{ID: "tx_" + hex.EncodeToString(b[:]), UserID: p.UserID, Kind: p.Kind, AmountMinor: p.AmountMinor,
		Currency: p.Currency, Method: p.Method, Status: StatusPending, CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt}, nil
}

func (d *DB) insert(ctx context.Context, tx *sql.Tx, t Transaction) error {
	if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO transactions
		(id, user_id, kind, amount_minor, currency, method, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		t.ID, t.UserID, t.Kind, t.AmountMinor, t.Currency, t.Method, t.Status, t.CreatedAt, t.UpdatedAt); err != nil {
		return fmt.Errorf("ledger: insert transaction: %w", err)
	}
	return nil
}

// ImportTransactions inserts many transactions in one SQL transaction, with the status each
// names (default pending), for demo data and tests.
func (d *DB) ImportTransactions(ctx context.Context, ps []NewPayment, status string) error {
	if status == "" {
		status = StatusPending
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		for _, p := range ps {
			t, err := d.newTransaction(p)
			if err != nil {
				return err
			}
			t.Status = status
			if err := d.insert(ctx, tx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetStatus moves transaction id to status to if it is in one of from, recording errText,
// and reports whether it moved. A transaction that already left from is not touched: that is
// what keeps a payment from completing twice. A move writes its log row ("transaction …
// pending → processing") in the same SQL transaction.
func (d *DB) SetStatus(ctx context.Context, id string, from []string, to, errText string) (bool, error) {
	if len(from) == 0 {
		return false, errors.New("ledger: SetStatus needs the states to move from")
	}
	var moved bool
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		moved, err = d.move(ctx, tx, id, from, to, errText, "", "")
		return err
	})
	return moved, err
}

// move is SetStatus inside tx, optionally attaching the provider's payment id.
func (d *DB) move(ctx context.Context, tx *sql.Tx, id string, from []string, to, errText, provider, providerID string) (bool, error) {
	q := "UPDATE transactions SET status = ?, error = ?, updated_at = ?"
	args := []any{to, errText, d.now()}
	if provider != "" {
		q += ", provider = ?, provider_payment_id = ?"
		args = append(args, provider, providerID)
	}
	q += " WHERE id = ? AND status IN (?" + repeat(",?", len(from)-1) + ")"
	args = append(args, id)
	for _, f := range from {
		args = append(args, f)
	}
	if provider != "" { // a transaction settles with one provider payment only
		q += " AND (provider_payment_id IS NULL OR (provider = ? AND provider_payment_id = ?))"
		args = append(args, provider, providerID)
	}
	res, err := tx.ExecContext(ctx, d.q(q), args...)
	if err != nil {
		return false, fmt.Errorf("ledger: transaction %s to %s: %w", id, to, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil
	}
	msg := fmt.Sprintf("transaction %s → %s", id, to)
	if errText != "" {
		msg += ": " + errText
	}
	if provider != "" {
		msg += fmt.Sprintf(" (%s payment %s)", provider, providerID)
	}
	if _, err := tx.ExecContext(ctx, d.q("INSERT INTO logs (level, message, created_at) VALUES ('info', ?, ?)"), msg, d.now()); err != nil {
		return false, fmt.Errorf("ledger: log: %w", err)
	}
	return true, nil
}

// Transaction returns the transaction with id, or ErrNotFound.
func (d *DB) Transaction(ctx context.Context, id string) (Transaction, error) {
	rows, err := d.r.QueryContext(ctx, d.q("SELECT "+txCols+" FROM transactions WHERE id = ?"), id)
	if err != nil {
		return Transaction{}, fmt.Errorf("ledger: transaction %s: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Transaction{}, fmt.Errorf("ledger: transaction %s: %w", id, err)
		}
		return Transaction{}, fmt.Errorf("ledger: transaction %s: %w", id, ErrNotFound)
	}
	return scanTx(rows)
}

const txCols = "id, user_id, kind, amount_minor, currency, method, status, COALESCE(provider, ''), COALESCE(provider_payment_id, ''), error, created_at, updated_at"

func scanTx(rows *sql.Rows) (Transaction, error) {
	var t Transaction
	err := rows.Scan(&t.ID, &t.UserID, &t.Kind, &t.AmountMinor, &t.Currency, &t.Method, &t.Status, &t.Provider, &t.ProviderID,
		&t.Error, &t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return Transaction{}, fmt.Errorf("ledger: read transaction: %w", err)
	}
	return t, nil
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
