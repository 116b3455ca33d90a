package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"

	"github.com/slaqhq/slaq/examples/fintech/internal/jobs"
	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
	"github.com/slaqhq/slaq/examples/fintech/internal/webhook"
)

func (e *env) waitMail(subject string, n int) {
	e.t.Helper()
	waitFor(e.t, 10*time.Second, fmt.Sprintf("%d emails %q", n, subject), func() bool {
		got := 0
		for _, m := range e.sink.Messages() {
			if strings.Contains(m.Subject, subject) {
				got++
			}
		}
		return got >= n
	})
}

// decodeQP returns the body of a quoted-printable message.
func decodeQP(t *testing.T, data string) string {
	t.Helper()
	_, body, _ := strings.Cut(data, "\r\n\r\n")
	b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (e *env) tx(id string) ledger.Transaction {
	e.t.Helper()
	t, err := e.app.Ledger.Transaction(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

func (e *env) waitStatus(id, status string) {
	e.t.Helper()
	waitFor(e.t, 10*time.Second, "transaction "+id+" "+status, func() bool { return e.tx(id).Status == status })
}

func (e *env) balance(userID int64, cur string) int64 {
	e.t.Helper()
	var b int64
	waitFor(e.t, 10*time.Second, "wallet synced", func() bool {
		var err error
		b, err = e.app.Ledger.Balance(context.Background(), userID, cur)
		return err == nil
	})
	return b
}

// Every route of the guide, end to end on both store pairs: what it queues runs, with the
// real effects (emails over SMTP, ledger states, CSV files, webhook credits once).
func TestRoutesEndToEnd(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, opts{backend: b})
			ctx := context.Background()
			u1, _ := e.app.Ledger.UserByEmail(ctx, "user1@example.com")

			if code, out := e.do("POST", "/api/auth/forgot-password", "", `{"email":"user1@example.com"}`); code != 200 || out["success"] != true {
				t.Fatalf("forgot-password: %d %v", code, out)
			}
			e.waitMail("Reset your Advancia Pay password", 1)
			if code, _ := e.do("POST", "/api/auth/send-otp", "", `{"email":"someone@example.com"}`); code != 200 {
				t.Fatalf("send-otp: %d", code)
			}
			e.waitMail("Your Advancia Pay code", 1)
			// The emailed token and code are the ones stored (hashed) in the ledger.
			for _, m := range e.sink.Messages() {
				body := decodeQP(t, m.Data)
				kind, email, code := "", m.To[0], ""
				if i := strings.Index(body, "token="); i >= 0 {
					kind, code = ledger.CodeReset, strings.Fields(body[i+len("token="):])[0]
				} else if i := strings.Index(m.Subject, "code: "); i >= 0 {
					kind, code = ledger.CodeOTP, m.Subject[i+len("code: "):]
				}
				if ok, err := e.app.Ledger.CheckCode(ctx, email, kind, code); !ok || err != nil {
					t.Fatalf("%s code %q for %s is not valid in the ledger (%v)", kind, code, email, err)
				}
				if ok, _ := e.app.Ledger.CheckCode(ctx, email, kind, code+"x"); ok {
					t.Fatal("a wrong code is valid")
				}
			}

			// A card payment: pending → processing → completed, notification, wallet synced.
			code, out := e.do("POST", "/api/payments/process", e.user, `{"amount": 25.5, "currency": "USD", "method": "card"}`)
			if code != 200 {
				t.Fatalf("payment: %d %v", code, out)
			}
			card := out["transactionId"].(string)
			e.waitStatus(card, ledger.StatusCompleted)
			e.waitMail("Payment received: 25.50 USD", 1)
			if bal := e.balance(u1.ID, "USD"); bal != 2550 {
				t.Fatalf("USD balance %d, want 2550", bal)
			}
			// Over the gateway's limit: declined, failed, and the user is told.
			_, out = e.do("POST", "/api/payments/process", e.user, `{"amount": "20000", "currency": "USD", "method": "bank_transfer"}`)
			e.waitStatus(out["transactionId"].(string), ledger.StatusFailed)
			e.waitMail("Payment failed: 20000.00 USD", 1)

			// A Cryptomus payment completes by webhook, once however often it is resent.
			_, out = e.do("POST", "/api/payments/process", e.user, `{"amount": "12", "currency": "USDT", "method": "cryptomus"}`)
			crypto := out["transactionId"].(string)
			e.waitStatus(crypto, ledger.StatusProcessing)
			body, _ := webhook.SignCryptomusBody([]byte(`{"type":"payment","uuid":"cm-1","order_id":"`+crypto+`","amount":"12.00","url":"https://pay.cryptomus.com/pay/cm-1","status":"paid"}`), e.app.Cfg.CryptomusKey)
			for range 3 {
				if code, out := e.do("POST", "/api/webhooks/cryptomus", "", string(body)); code != 200 {
					t.Fatalf("cryptomus webhook: %d %v", code, out)
				}
			}
			e.waitStatus(crypto, ledger.StatusCompleted)
			// The same notification as a new job (past the enqueue dedup, as after its TTL):
			// the ledger still credits once.
			if _, err := e.app.Client.Enqueue(ctx, jobs.TypeWebhookCryptomus, jobs.Webhook{Body: string(body)}); err != nil {
				t.Fatal(err)
			}
			// A NOWPayments IPN for the same provider flow.
			_, out = e.do("POST", "/api/payments/process", e.user, `{"amount": "7.25", "currency": "USDT", "method": "nowpayments"}`)
			now := out["transactionId"].(string)
			ipn := []byte(`{"payment_status":"finished","payment_id":5077125051,"order_id":"` + now + `","price_amount":7.25,"pay_currency":"btc"}`)
			sig, _ := webhook.NOWPaymentsSign(ipn, e.app.Cfg.NOWPaymentsSecret)
			if code, out := e.do("POST", "/api/webhooks/nowpayments", "", string(ipn), webhook.NOWPaymentsHeader, sig); code != 200 {
				t.Fatalf("nowpayments webhook: %d %v", code, out)
			}
			e.waitStatus(now, ledger.StatusCompleted)
			waitFor(t, 10*time.Second, "USDT balance 19.25", func() bool {
				b, err := e.app.Ledger.Balance(ctx, u1.ID, "USDT")
				return err == nil && b == 1925
			})
			e.waitMail("Payment received: 12.00 USDT", 1)
			// Settle: no job left to run, then check the resent webhooks changed nothing.
			waitFor(t, 10*time.Second, "HIGH and MEDIUM idle", func() bool {
				m, _ := e.app.Client.Metrics(ctx)
				return m["HIGH"].Waiting+m["HIGH"].Active+m["MEDIUM"].Waiting+m["MEDIUM"].Active == 0
			})
			if b, _ := e.app.Ledger.Balance(ctx, u1.ID, "USDT"); b != 1925 {
				t.Fatalf("USDT balance %d after resent webhooks, want 1925 (credited once)", b)
			}
			n := 0
			for _, m := range e.sink.Messages() {
				if strings.Contains(m.Subject, "Payment received: 12.00 USDT") {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d notifications for the Cryptomus payment, want 1", n)
			}

			if code, _ := e.do("POST", "/api/support/contact", e.user, `{"subject":"Card declined","message":"Why?"}`); code != 200 {
				t.Fatalf("support: %d", code)
			}
			e.waitMail("Support: Card declined", 1)

			// A report (admin) and an export (the user's own): CSV files, links emailed, status.
			_, out = e.do("POST", "/api/reports/transactions", e.admin, `{"startDate":"2000-01-01","endDate":"2100-01-01","format":"csv"}`)
			report := out["jobId"].(string)
			_, out = e.do("POST", "/api/exports/transactions", e.user, `{"filters":{"status":"completed"}}`)
			export := out["jobId"].(string)
			e.waitJob(report, "completed", 10*time.Second)
			e.waitJob(export, "completed", 10*time.Second)
			code, out = e.do("GET", "/api/exports/transactions/"+export, e.user, "")
			res, _ := out["result"].(map[string]any)
			if code != 200 || out["state"] != "completed" || res["rows"] != float64(3) {
				t.Fatalf("export status: %d %v", code, out)
			}
			code, out = e.do("GET", "/api/exports/transactions/"+export+"/download", e.user, "")
			csv := out["_raw"].(string)
			if code != 200 || strings.Count(csv, "\n") != 4 || !strings.Contains(csv, card) || strings.Contains(csv, ",failed,") {
				t.Fatalf("export download: %d\n%s", code, csv)
			}
			if code, _ := e.do("GET", "/api/reports/transactions/"+report, e.admin, ""); code != 200 {
				t.Fatalf("report status: %d", code)
			}
			if code, _ := e.do("GET", "/api/exports/transactions/"+export, e.token(2_000_000, "user", time.Hour), ""); code != 404 {
				t.Fatalf("another user's export: %d, want 404", code)
			}
			e.waitMail("Transactions report 2000-01-01 to 2100-01-01 is ready", 1)
			e.waitMail("Your transactions export is ready", 1)

			// slaq's admin API and dashboard are mounted; the admin JWT opens the job API.
			if code, out := e.do("GET", "/api/jobs/metrics", e.admin, ""); code != 200 || out["success"] != true {
				t.Fatalf("admin metrics with the admin JWT: %d %v", code, out)
			}
			if code, _ := e.do("GET", "/api/jobs/metrics", e.app.Cfg.AdminToken, ""); code != 200 {
				t.Fatalf("admin metrics with ADMIN_TOKEN: %d", code)
			}
			if code, _ := e.do("GET", "/api/jobs/metrics", e.user, ""); code != 403 {
				t.Fatalf("admin metrics with a user JWT: %d, want 403", code)
			}
			if code, out := e.do("GET", "/dashboard/", "", ""); code != 200 || !strings.Contains(out["_raw"].(string), "<form") {
				t.Fatalf("dashboard: %d", code)
			}
			if code, out := e.do("GET", "/metrics", "", ""); code != 200 || !strings.Contains(out["_raw"].(string), `slaq_jobs_completed_total`) {
				t.Fatalf("metrics: %d", code)
			}
		})
	}
}

// The payment row and its job commit together: a transaction that fails after the row was
// written leaves neither (EnqueueTx in the ledger's own SQL transaction).
func TestPaymentRowAndJobAreAtomic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{})
	ctx := context.Background()
	u1, _ := e.app.Ledger.UserByEmail(ctx, "user1@example.com")
	before := e.queued()
	var id string
	_, err := e.app.Ledger.CreatePayment(ctx, ledger.NewPayment{UserID: u1.ID, AmountMinor: 100, Currency: "USD", Method: "card"},
		func(tx *sql.Tx, tr ledger.Transaction) error {
			id = tr.ID
			if _, err := e.app.Queue.ProcessPayment(ctx, tx, jobs.Payment{TransactionID: tr.ID}); err != nil {
				return err
			}
			return fmt.Errorf("the gateway said no")
		})
	if err == nil {
		t.Fatal("CreatePayment succeeded")
	}
	if _, err := e.app.Ledger.Transaction(ctx, id); err == nil {
		t.Fatal("the rolled-back transaction row exists")
	}
	if n, _ := e.app.Outbox.Len(ctx); n != 0 || e.queued() != before {
		t.Fatalf("outbox %d, queued %d → %d: the rolled-back job exists", n, before, e.queued())
	}
}

// Wallet sync recomputes the balance from the ledger, whatever the stored balance says.
func TestWalletSyncRecomputesFromLedger(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{})
	ctx := context.Background()
	u, _ := e.app.Ledger.UserByEmail(ctx, "user2@example.com")
	ps := []ledger.NewPayment{
		{UserID: u.ID, AmountMinor: 1000, Currency: "EUR", Method: "card"},
		{UserID: u.ID, AmountMinor: 250, Currency: "EUR", Method: "card", Kind: ledger.KindWithdrawal},
		{UserID: u.ID, AmountMinor: 999, Currency: "USD", Method: "card"},
	}
	if err := e.app.Ledger.ImportTransactions(ctx, ps, ledger.StatusCompleted); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Ledger.ImportTransactions(ctx, ps[:1], ledger.StatusFailed); err != nil {
		t.Fatal(err)
	}
	id, err := e.app.Queue.SyncWalletBalance(ctx, u.ID, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	e.waitJob(id, "completed", 10*time.Second)
	if b, _ := e.app.Ledger.Balance(ctx, u.ID, "EUR"); b != 750 {
		t.Fatalf("EUR balance %d, want 750 (1000 - 250; the failed one not counted)", b)
	}
}

// Cleanup deletes the log rows older than its days, in batches, and keeps the rest.
func TestCleanupDeletesOldLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{})
	e.app.Workers.CleanupBatch = 7 // several batches
	ctx := context.Background()
	old, recent := time.Now().AddDate(0, 0, -91).UnixMilli(), time.Now().AddDate(0, 0, -89).UnixMilli()
	for i := range 30 {
		at := old
		if i%3 == 0 {
			at = recent
		}
		if err := e.app.Ledger.LogAt(ctx, "info", "row", at); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := e.app.Ledger.CountLogs(ctx)
	id, err := e.app.Queue.CleanupOldLogs(ctx, 90)
	if err != nil {
		t.Fatal(err)
	}
	j := e.waitJob(id, "completed", 10*time.Second)
	var res struct{ Deleted int64 }
	_ = json.Unmarshal(j.Result, &res)
	after, _ := e.app.Ledger.CountLogs(ctx)
	if res.Deleted != 20 || before-after != 20 {
		t.Fatalf("deleted %d (logs %d → %d), want 20", res.Deleted, before, after)
	}
}

// The guide's limits are slaq rate limits in the types' tiers, and they hold: of three
// support emails queued at once, one starts and the others wait (50/min is one per 1.2 s).
func TestRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{})
	ctx := context.Background()
	limits, err := e.app.Client.RateLimits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"send_email": "50/1m0s MEDIUM", "send_bulk_emails": "500/1m0s BATCH",
		"webhook_cryptomus": "100/1m0s HIGH", "webhook_nowpayments": "100/1m0s HIGH"}
	for _, l := range limits {
		if got := fmt.Sprintf("%d/%s %s", l.Rate, l.Per, l.Tier); want[l.Type] != got {
			t.Errorf("%s: %s, want %s", l.Type, got, want[l.Type])
		}
		delete(want, l.Type)
	}
	if len(want) > 0 {
		t.Fatalf("limits missing: %v", want)
	}
	for i := range 3 {
		if _, err := e.app.Queue.SendEmail(ctx, "ops@example.com", fmt.Sprintf("limited %d", i), "x"); err != nil {
			t.Fatal(err)
		}
	}
	e.waitMail("limited", 1)
	waitFor(t, 5*time.Second, "a rate-limit deferral", func() bool { return e.app.Client.RateLimited()[jobs.TypeEmail] > 0 })
	if n := e.sink.Count(); n != 1 {
		t.Fatalf("%d emails sent within the first slot, want 1", n)
	}
}

// The newsletter job fans out one BATCH bulk-email job per subscriber.
func TestNewsletterFansOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{tiers: map[slaq.Tier]slaq.TierConfig{}})
	ctx := context.Background()
	id, err := e.app.Queue.SendNewsletter(ctx, "2026-W49")
	if err != nil {
		t.Fatal(err)
	}
	e.waitJob(id, "completed", 10*time.Second)
	m, _ := e.app.Client.Metrics(ctx)
	if got := m["BATCH"].Total; got != 101 { // the newsletter job and 100 subscribers
		t.Fatalf("BATCH total %d, want 101", got)
	}
	e.waitMail("Weekly Update from Advancia Pay", 1)
}
