// Package jobs is the fintech service's work: the guide's job types with their tiers, rate
// limits and degradation policy (Types, RateLimits), typed helpers that enqueue them (Queue),
// and the handlers that do the work (Workers).
package jobs

import (
	"time"

	"github.com/slaqhq/slaq"
)

// The job types, by tier, as the guide assigns them.
const (
	// CRITICAL (< 1 s)
	TypePasswordReset = "send_password_reset"
	TypeOTP           = "send_otp"
	// HIGH (< 5 s)
	TypeProcessPayment      = "process_payment"
	TypePaymentNotification = "send_payment_notification"
	TypeWebhookCryptomus    = "webhook_cryptomus"
	TypeWebhookNOWPayments  = "webhook_nowpayments"
	// MEDIUM (< 30 s)
	TypeEmail      = "send_email"
	TypeSyncWallet = "sync_wallet_balance"
	// LOW (< 5 min)
	TypeReport = "generate_report"
	TypeExport = "export_transactions"
	// BATCH (background)
	TypeCleanup    = "cleanup_old_logs"
	TypeBulkEmail  = "send_bulk_emails"
	TypeNewsletter = "send_newsletter"
)

// Settings of the job types; each is a named default, documented here once.
const (
	// ReportTimeout bounds a report or an export run: 10 min (the guide's "timeout: 600000").
	ReportTimeout = 10 * time.Minute
	// FileJobRetention keeps finished reports and exports readable by id (their status
	// route) for 24 h.
	FileJobRetention = 24 * time.Hour
	// NotificationUniqueTTL is how long a payment notification for one (transaction,
	// status) is deduplicated: 24 h, so a rerun payment job never mails twice.
	NotificationUniqueTTL = 24 * time.Hour
	// WebhookUniqueTTL is how long a provider's (payment id, status) is deduplicated at
	// enqueue: 24 h. The ledger's webhook_events table is the lasting guarantee.
	WebhookUniqueTTL = 24 * time.Hour
)

// Types returns every job type's tier and settings, for slaq.Config.Types. The auth emails
// degrade to DegradeDirect: when the queue does not answer, the email is sent in the
// request (the guide's fallback), and the service logs and counts it.
func Types() map[string]slaq.TypeConfig {
	return map[string]slaq.TypeConfig{
		TypePasswordReset:       {Tier: slaq.Critical, Degrade: slaq.DegradeDirect},
		TypeOTP:                 {Tier: slaq.Critical, Degrade: slaq.DegradeDirect},
		TypeProcessPayment:      {Tier: slaq.High},
		TypePaymentNotification: {Tier: slaq.High},
		TypeWebhookCryptomus:    {Tier: slaq.High},
		TypeWebhookNOWPayments:  {Tier: slaq.High},
		TypeEmail:               {Tier: slaq.Medium},
		TypeSyncWallet:          {Tier: slaq.Medium},
		TypeReport:              {Tier: slaq.Low, Timeout: ReportTimeout, Retention: FileJobRetention},
		TypeExport:              {Tier: slaq.Low, Timeout: ReportTimeout, Retention: FileJobRetention},
		TypeCleanup:             {Tier: slaq.Batch},
		TypeBulkEmail:           {Tier: slaq.Batch},
		TypeNewsletter:          {Tier: slaq.Batch},
	}
}

// RateLimits returns the guide's limits for slaq.Config.RateLimits: the providers' webhooks
// 100/min each, email 50/min, bulk email 500/min (a bulk email job carries one message, so
// the limit is on messages). Each applies in its type's tier.
func RateLimits() map[string]slaq.RateLimit {
	return map[string]slaq.RateLimit{
		TypeWebhookCryptomus:   {Rate: 100, Per: time.Minute},
		TypeWebhookNOWPayments: {Rate: 100, Per: time.Minute},
		TypeEmail:              {Rate: 50, Per: time.Minute},
		TypeBulkEmail:          {Rate: 500, Per: time.Minute},
	}
}

// Payloads of the job types.
type (
	// PasswordReset is TypePasswordReset's payload.
	PasswordReset struct {
		Email string `json:"email"`
		Token string `json:"token"`
	}
	// OTP is TypeOTP's payload.
	OTP struct {
		Email string `json:"email"`
		Code  string `json:"code"`
	}
	// Payment is TypeProcessPayment's payload.
	Payment struct {
		TransactionID string `json:"transactionId"`
		UserID        int64  `json:"userId"`
		AmountMinor   int64  `json:"amountMinor"`
		Currency      string `json:"currency"`
		Method        string `json:"method"`
	}
	// PaymentNotification is TypePaymentNotification's payload.
	PaymentNotification struct {
		UserID        int64  `json:"userId"`
		AmountMinor   int64  `json:"amountMinor"`
		Currency      string `json:"currency"`
		TransactionID string `json:"transactionId"`
		Status        string `json:"status"`
	}
	// Webhook is the webhook types' payload: the body as received and its signature header
	// (empty when the signature is inside the body), checked again by the job.
	Webhook struct {
		Body string `json:"body"`
		Sign string `json:"sign,omitempty"`
	}
	// Email is TypeEmail's and TypeBulkEmail's payload.
	Email struct {
		To      string `json:"to"`
		Subject string `json:"subject"`
		Body    string `json:"body"`
	}
	// SyncWallet is TypeSyncWallet's payload.
	SyncWallet struct {
		UserID   int64  `json:"userId"`
		Currency string `json:"currency"`
	}
	// Report is TypeReport's payload: every transaction created in [StartDate, EndDate]
	// (dates, YYYY-MM-DD, UTC, both included).
	Report struct {
		UserID    int64  `json:"userId"`
		StartDate string `json:"startDate"`
		EndDate   string `json:"endDate"`
		Format    string `json:"format"`
	}
	// Export is TypeExport's payload: the user's own transactions matching Filters.
	Export struct {
		UserID  int64         `json:"userId"`
		Filters ExportFilters `json:"filters"`
	}
	// ExportFilters narrow an export; zero fields select all.
	ExportFilters struct {
		Status   string `json:"status,omitempty"`
		Currency string `json:"currency,omitempty"`
		From     string `json:"from,omitempty"` // YYYY-MM-DD, included
		To       string `json:"to,omitempty"`   // YYYY-MM-DD, included
	}
	// Cleanup is TypeCleanup's payload.
	Cleanup struct {
		Days int `json:"days"`
	}
	// Newsletter is TypeNewsletter's payload: the ISO week it is for, e.g. "2026-W49";
	// default the week the job was enqueued in.
	Newsletter struct {
		Week string `json:"week,omitempty"`
	}
	// FileResult is a report's or an export's result, kept with the completed job.
	FileResult struct {
		File string `json:"file"`
		URL  string `json:"url"`
		Rows int    `json:"rows"`
	}
)
