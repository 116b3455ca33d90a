package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/slaqhq/slaq"

	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
	"github.com/slaqhq/slaq/examples/fintech/internal/mail"
)

// DefaultSupportAddress receives the support form's messages.
const DefaultSupportAddress = "support@advanciapayledger.com"

// Workers does the jobs' work. Fields without a default are required.
type Workers struct {
	Ledger *ledger.DB
	Mail   mail.Sender
	Queue  Queue  // for the follow-up jobs (notifications, wallet syncs, bulk email)
	Files  string // the folder reports and exports are written to
	// BaseURL starts the links in emails (reset links, report downloads), e.g.
	// http://127.0.0.1:4000.
	BaseURL string
	// CryptomusKey and NOWPaymentsSecret check the webhooks again inside their jobs.
	CryptomusKey, NOWPaymentsSecret string
	// SupportAddress receives support messages; default DefaultSupportAddress.
	SupportAddress string
	// CardLimitMinor is the largest card or bank payment the simulated gateway accepts;
	// larger ones are declined (the payment fails, the job succeeds). Default
	// DefaultCardLimitMinor.
	CardLimitMinor int64
	// CleanupBatch is how many log rows one cleanup statement deletes. Default
	// DefaultCleanupBatch.
	CleanupBatch int
	Log          *slog.Logger // default slog.Default()
	// Midway, when set, is called by the long jobs (reports, exports, cleanup) after their
	// first piece of work, with the job; tests use it to hold them running.
	Midway func(ctx context.Context, j *slaq.Job)
	// Now tells the time; default time.Now.
	Now func() time.Time
}

// DefaultCardLimitMinor is the simulated gateway's largest accepted card payment: 10,000.00.
const DefaultCardLimitMinor = 1_000_000

// DefaultCleanupBatch is how many log rows one cleanup statement deletes: 1,000.
const DefaultCleanupBatch = 1000

// Register adds every job type's handler to mux.
func (w *Workers) Register(mux *slaq.ServeMux) {
	if w.Log == nil {
		w.Log = slog.Default()
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.SupportAddress == "" {
		w.SupportAddress = DefaultSupportAddress
	}
	if w.CardLimitMinor == 0 {
		w.CardLimitMinor = DefaultCardLimitMinor
	}
	if w.CleanupBatch == 0 {
		w.CleanupBatch = DefaultCleanupBatch
	}
	mux.Handle(TypePasswordReset, slaq.JSONHandler(w.passwordReset))
	mux.Handle(TypeOTP, slaq.JSONHandler(w.otp))
	mux.Handle(TypeProcessPayment, slaq.JSONHandler(w.processPayment))
	mux.Handle(TypePaymentNotification, slaq.JSONHandler(w.paymentNotification))
	mux.Handle(TypeWebhookCryptomus, slaq.JSONHandler(w.webhookCryptomus))
	mux.Handle(TypeWebhookNOWPayments, slaq.JSONHandler(w.webhookNOWPayments))
	mux.Handle(TypeEmail, slaq.JSONHandler(w.email))
	mux.Handle(TypeBulkEmail, slaq.JSONHandler(w.email))
	mux.Handle(TypeSyncWallet, slaq.JSONHandler(w.syncWallet))
	mux.Handle(TypeReport, slaq.JSONHandler(w.report))
	mux.Handle(TypeExport, slaq.JSONHandler(w.export))
	mux.Handle(TypeCleanup, slaq.JSONHandler(w.cleanup))
	mux.Handle(TypeNewsletter, slaq.JSONHandler(w.newsletter))
}

func (w *Workers) midway(ctx context.Context, j *slaq.Job) {
	if w.Midway != nil {
		w.Midway(ctx, j)
	}
}

// audit writes a log row; a failure to write it is logged, not fatal to the job.
func (w *Workers) audit(ctx context.Context, level, msg string) {
	if err := w.Ledger.Log(ctx, level, msg); err != nil {
		w.Log.Warn("fintech: audit log row not written", "err", err)
	}
}

// permanentIfNotFound makes a missing user or transaction a permanent failure: retrying
// cannot make it appear.
func permanentIfNotFound(err error) error {
	if errors.Is(err, ledger.ErrNotFound) {
		return slaq.Permanent(err)
	}
	return err
}
