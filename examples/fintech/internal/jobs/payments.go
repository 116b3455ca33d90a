package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/slaqhq/slaq"

	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
	"github.com/slaqhq/slaq/examples/fintech/internal/webhook"
)

// Payment methods. Card and bank transfers go through the (simulated) gateway in the
// payment job; the crypto providers complete by webhook.
const (
	MethodCard        = "card"
	MethodBank        = "bank_transfer"
	MethodCryptomus   = "cryptomus"
	MethodNOWPayments = "nowpayments"
)

// Methods are the accepted payment methods.
var Methods = []string{MethodCard, MethodBank, MethodCryptomus, MethodNOWPayments}

// processPayment moves a transaction pending → processing, then, for card and bank
// payments, through the gateway to completed or failed; crypto payments stay processing
// until the provider's webhook. A rerun (after a crash) picks up where the row is.
func (w *Workers) processPayment(ctx context.Context, _ *slaq.Job, p Payment) error {
	t, err := w.Ledger.Transaction(ctx, p.TransactionID)
	if err != nil {
		return permanentIfNotFound(err)
	}
	if t.Status == ledger.StatusPending {
		if _, err := w.Ledger.SetStatus(ctx, t.ID, []string{ledger.StatusPending}, ledger.StatusProcessing, ""); err != nil {
			return err
		}
		t.Status = ledger.StatusProcessing
	}
	switch t.Method {
	case MethodCryptomus, MethodNOWPayments:
		return nil // processing until the provider's webhook
	}
	if t.Status == ledger.StatusProcessing {
		to, why := ledger.StatusCompleted, ""
		if t.AmountMinor > w.CardLimitMinor {
			to, why = ledger.StatusFailed, "declined by the gateway: over the card limit of "+FormatAmount(w.CardLimitMinor)
		}
		if _, err := w.Ledger.SetStatus(ctx, t.ID, []string{ledger.StatusProcessing}, to, why); err != nil {
			return err
		}
		t.Status, t.Error = to, why
	}
	return w.settled(ctx, t)
}

// settled queues what follows a finished payment: the notification and, when it completed,
// the wallet sync. Both are safe to queue twice (the notification is unique per status, the
// sync recomputes).
func (w *Workers) settled(ctx context.Context, t ledger.Transaction) error {
	if t.Status != ledger.StatusCompleted && t.Status != ledger.StatusFailed {
		return nil
	}
	if _, err := w.Queue.SendPaymentNotification(ctx, PaymentNotification{UserID: t.UserID, AmountMinor: t.AmountMinor,
		Currency: t.Currency, TransactionID: t.ID, Status: t.Status}); err != nil {
		return err
	}
	if t.Status == ledger.StatusCompleted {
		if _, err := w.Queue.SyncWalletBalance(ctx, t.UserID, t.Currency); err != nil {
			return err
		}
	}
	return nil
}

func (w *Workers) syncWallet(ctx context.Context, _ *slaq.Job, p SyncWallet) error {
	_, err := w.Ledger.RecomputeBalance(ctx, p.UserID, p.Currency)
	return err
}

func (w *Workers) webhookCryptomus(ctx context.Context, _ *slaq.Job, p Webhook) error {
	if err := webhook.VerifyCryptomus([]byte(p.Body), p.Sign, w.CryptomusKey); err != nil {
		return slaq.Permanent(err)
	}
	n, err := webhook.ParseCryptomus([]byte(p.Body))
	if err != nil {
		return slaq.Permanent(err)
	}
	return w.applyWebhook(ctx, n)
}

func (w *Workers) webhookNOWPayments(ctx context.Context, _ *slaq.Job, p Webhook) error {
	if err := webhook.VerifyNOWPayments([]byte(p.Body), p.Sign, w.NOWPaymentsSecret); err != nil {
		return slaq.Permanent(err)
	}
	n, err := webhook.ParseNOWPayments([]byte(p.Body))
	if err != nil {
		return slaq.Permanent(err)
	}
	return w.applyWebhook(ctx, n)
}

// applyWebhook records the notification in the ledger, idempotently on the provider's
// payment id, and queues the follow-ups when it settled the transaction.
func (w *Workers) applyWebhook(ctx context.Context, n webhook.Notification) error {
	res, err := w.Ledger.ApplyWebhook(ctx, ledger.Webhook{Provider: n.Provider, PaymentID: n.PaymentID,
		Status: n.Status, OrderID: n.OrderID, Outcome: n.Outcome()})
	if errors.Is(err, ledger.ErrNotFound) {
		return slaq.Permanent(fmt.Errorf("%s webhook for unknown transaction %s: %w", n.Provider, n.OrderID, err))
	}
	if err != nil {
		return err
	}
	if res.Duplicate || !res.Moved { // resent, or a status that changes nothing: the ledger is as it was
		w.Log.Info("fintech: webhook changed nothing", "provider", n.Provider, "payment", n.PaymentID, "status", n.Status, "duplicate", res.Duplicate)
		return nil
	}
	return w.settled(ctx, res.Transaction)
}
