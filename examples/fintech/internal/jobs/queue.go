package jobs

import (
	"context"
	"database/sql"

	"github.com/slaqhq/slaq"
)

// Queue is the typed job helpers: one method per guide helper (sendPasswordResetJob →
// SendPasswordReset, …), each enqueueing its type in its tier and returning the job id.
type Queue struct{ C *slaq.Client }

// SendPasswordReset queues the password-reset email (CRITICAL; sent directly when the queue
// does not answer).
func (q Queue) SendPasswordReset(ctx context.Context, email, token string) (string, error) {
	return q.C.Enqueue(ctx, TypePasswordReset, PasswordReset{Email: email, Token: token})
}

// SendOTP queues the one-time code email (CRITICAL; sent directly when the queue does not
// answer).
func (q Queue) SendOTP(ctx context.Context, email, code string) (string, error) {
	return q.C.Enqueue(ctx, TypeOTP, OTP{Email: email, Code: code})
}

// ProcessPayment queues a payment's processing (HIGH). With tx, the job is written in tx
// (slaq's EnqueueTx): it exists exactly when the transaction row it processes commits.
func (q Queue) ProcessPayment(ctx context.Context, tx *sql.Tx, p Payment) (string, error) {
	if tx != nil {
		return q.C.EnqueueTx(ctx, tx, TypeProcessPayment, p)
	}
	return q.C.Enqueue(ctx, TypeProcessPayment, p)
}

// SendPaymentNotification queues the email telling a user about a payment (HIGH), once per
// transaction and status.
func (q Queue) SendPaymentNotification(ctx context.Context, n PaymentNotification) (string, error) {
	return q.C.Enqueue(ctx, TypePaymentNotification, n,
		slaq.Unique("notify:"+n.TransactionID+":"+n.Status, NotificationUniqueTTL))
}

// Webhook queues a verified provider webhook (HIGH, 100/min per provider), once per
// provider payment id and status (uniqueKey).
func (q Queue) Webhook(ctx context.Context, typ string, w Webhook, uniqueKey string) (string, error) {
	return q.C.Enqueue(ctx, typ, w, slaq.Unique(uniqueKey, WebhookUniqueTTL))
}

// SendEmail queues one email (MEDIUM, 50/min).
func (q Queue) SendEmail(ctx context.Context, to, subject, body string) (string, error) {
	return q.C.Enqueue(ctx, TypeEmail, Email{To: to, Subject: subject, Body: body})
}

// SyncWalletBalance queues the recomputation of a wallet's balance from the ledger (MEDIUM).
func (q Queue) SyncWalletBalance(ctx context.Context, userID int64, currency string) (string, error) {
	return q.C.Enqueue(ctx, TypeSyncWallet, SyncWallet{UserID: userID, Currency: currency})
}

// GenerateReport queues a transactions report (LOW, up to 10 min).
func (q Queue) GenerateReport(ctx context.Context, r Report) (string, error) {
	return q.C.Enqueue(ctx, TypeReport, r)
}

// ExportTransactions queues a user's transactions export (LOW, up to 10 min).
func (q Queue) ExportTransactions(ctx context.Context, e Export) (string, error) {
	return q.C.Enqueue(ctx, TypeExport, e)
}

// CleanupOldLogs queues the deletion of log rows older than days (BATCH). Extra options
// (e.g. a Unique key per schedule tick) are passed on.
func (q Queue) CleanupOldLogs(ctx context.Context, days int, opts ...slaq.Option) (string, error) {
	return q.C.Enqueue(ctx, TypeCleanup, Cleanup{Days: days}, opts...)
}

// SendBulkEmails queues one BATCH job per message, all in one call (nothing is stored if
// any is invalid); the 500/min limit on TypeBulkEmail paces the messages.
func (q Queue) SendBulkEmails(ctx context.Context, emails []Email) ([]string, error) {
	reqs := make([]slaq.Request, len(emails))
	for i, e := range emails {
		reqs[i] = slaq.Request{Type: TypeBulkEmail, Payload: e}
	}
	return q.C.EnqueueBulk(ctx, reqs)
}

// SendNewsletter queues the building of the weekly newsletter for week (BATCH): its job
// reads the subscribers and calls SendBulkEmails.
func (q Queue) SendNewsletter(ctx context.Context, week string, opts ...slaq.Option) (string, error) {
	return q.C.Enqueue(ctx, TypeNewsletter, Newsletter{Week: week}, opts...)
}
