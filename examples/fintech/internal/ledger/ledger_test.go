package ledger

import (
	"context"
	"path/filepath"
	"testing"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// A webhook credits its transaction once: resent, it is a duplicate; a later status of the
// same payment cannot move a completed transaction; its payment id cannot settle another
// transaction.
func TestApplyWebhookIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := openTest(t)
	u, err := d.CreateUser(ctx, "a@example.com", "A", RoleUser, true)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := d.CreatePayment(ctx, NewPayment{UserID: u.ID, AmountMinor: 500, Currency: "USDT", Method: "cryptomus"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := d.CreatePayment(ctx, NewPayment{UserID: u.ID, AmountMinor: 700, Currency: "USDT", Method: "cryptomus"}, nil)
	paid := Webhook{Provider: "cryptomus", PaymentID: "p1", Status: "paid", OrderID: tr.ID, Outcome: StatusCompleted}
	steps := []struct {
		name          string
		w             Webhook
		dup, moved    bool
		wantErr       bool
		status        string
		balanceMinor  int64
		otherStatusIs string
	}{
		{"first", paid, false, true, false, StatusCompleted, 500, StatusPending},
		{"resent", paid, true, false, false, StatusCompleted, 500, StatusPending},
		{"later status", Webhook{Provider: "cryptomus", PaymentID: "p1", Status: "refund_paid", OrderID: tr.ID, Outcome: StatusFailed},
			false, false, false, StatusCompleted, 500, StatusPending},
		{"same payment, other order", Webhook{Provider: "cryptomus", PaymentID: "p1", Status: "paid_over", OrderID: other.ID, Outcome: StatusCompleted},
			false, false, true, StatusCompleted, 500, StatusPending},
	}
	for _, s := range steps {
		res, err := d.ApplyWebhook(ctx, s.w)
		if (err != nil) != s.wantErr {
			t.Fatalf("%s: err %v, want error %v", s.name, err, s.wantErr)
		}
		if err == nil && (res.Duplicate != s.dup || res.Moved != s.moved) {
			t.Fatalf("%s: %+v, want duplicate %v moved %v", s.name, res, s.dup, s.moved)
		}
		got, _ := d.Transaction(ctx, tr.ID)
		o, _ := d.Transaction(ctx, other.ID)
		bal, err := d.RecomputeBalance(ctx, u.ID, "USDT")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != s.status || o.Status != s.otherStatusIs || bal != s.balanceMinor {
			t.Fatalf("%s: status %s, other %s, balance %d; want %s, %s, %d", s.name, got.Status, o.Status, bal, s.status, s.otherStatusIs, s.balanceMinor)
		}
	}
}

// SetStatus moves a transaction only from the states it names.
func TestSetStatusGuardsTheState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "b@example.com", "B", RoleUser, true)
	tr, _ := d.CreatePayment(ctx, NewPayment{UserID: u.ID, AmountMinor: 100, Currency: "USD", Method: "card"}, nil)
	for _, s := range []struct {
		from []string
		to   string
		ok   bool
	}{
		{[]string{StatusPending}, StatusProcessing, true},
		{[]string{StatusPending}, StatusProcessing, false},
		{[]string{StatusProcessing}, StatusCompleted, true},
		{[]string{StatusPending, StatusProcessing}, StatusFailed, false},
	} {
		ok, err := d.SetStatus(ctx, tr.ID, s.from, s.to, "")
		if err != nil || ok != s.ok {
			t.Fatalf("%v → %s: moved %v (%v), want %v", s.from, s.to, ok, err, s.ok)
		}
	}
}
