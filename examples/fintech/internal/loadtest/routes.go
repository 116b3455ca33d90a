package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slaqhq/slaq/examples/fintech/internal/app"
	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
	"github.com/slaqhq/slaq/examples/fintech/internal/smtpsink"
	"github.com/slaqhq/slaq/examples/fintech/internal/webhook"
)

func numCPU() int { return runtime.NumCPU() }

// load is one run's state.
type load struct {
	o            Options
	a            *app.App
	base         string
	client       *http.Client
	rec          *recorder
	user, admin  string
	cryptoOrders []string // pending Cryptomus transactions for webhooks to settle
	nowOrders    []string
	next         atomic.Int64
}

// prepare makes tokens, ledger rows for the exports and the webhooks, old logs for the
// cleanup, and starts the held export and cleanup.
func (l *load) prepare(ctx context.Context) error {
	var err error
	if l.user, l.admin, err = l.a.DevTokens(ctx); err != nil {
		return err
	}
	u, err := l.a.Ledger.UserByEmail(ctx, "user1@example.com")
	if err != nil {
		return err
	}
	ps := make([]ledger.NewPayment, 5000)
	for i := range ps {
		ps[i] = ledger.NewPayment{UserID: u.ID, AmountMinor: int64(100 + i), Currency: "USD", Method: "card"}
	}
	if err := l.a.Ledger.ImportTransactions(ctx, ps, ledger.StatusCompleted); err != nil {
		return err
	}
	for i := range 20000 {
		method := "cryptomus"
		if i%2 == 1 {
			method = "nowpayments"
		}
		t, err := l.a.Ledger.CreatePayment(ctx, ledger.NewPayment{UserID: u.ID, AmountMinor: 500, Currency: "USDT", Method: method}, nil)
		if err != nil {
			return err
		}
		if method == "cryptomus" {
			l.cryptoOrders = append(l.cryptoOrders, t.ID)
		} else {
			l.nowOrders = append(l.nowOrders, t.ID)
		}
		if i == 999 {
			break // enough for the mixed phase at a few thousand requests per second per route
		}
	}
	for range 200 {
		if err := l.a.Ledger.LogAt(ctx, "info", "old", time.Now().AddDate(-1, 0, 0).UnixMilli()); err != nil {
			return err
		}
	}
	if _, err := l.a.Queue.CleanupOldLogs(ctx, 90); err != nil {
		return err
	}
	if code := l.post(ctx, "", "/api/exports/transactions", l.user, `{}`, nil); code != 200 {
		return fmt.Errorf("export: %d", code)
	}
	return nil
}

// post sends one request, records its time under route (unless route is ""), and returns
// its status.
func (l *load) post(ctx context.Context, route, path, token, body string, hdr map[string]string) int {
	req, _ := http.NewRequestWithContext(ctx, "POST", l.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := l.client.Do(req)
	code := 0
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		code = resp.StatusCode
	}
	if route != "" && ctx.Err() == nil { // a request cut by the end of the phase is not counted
		l.rec.add(sample{route: route, d: time.Since(start), ok: code == 200})
	}
	return code
}

// bursts runs the guide's bursts and returns, per burst, when all were answered, when all
// were queued (the CRITICAL tier's total grew by Burst) and when all emails arrived.
func (l *load) bursts(ctx context.Context, sink *smtpsink.Sink) ([][3]time.Duration, error) {
	var out [][3]time.Duration
	for round := range l.o.Rounds {
		m, err := l.a.Client.Metrics(ctx)
		if err != nil {
			return nil, err
		}
		before, mails := m["CRITICAL"].Total, sink.Count()
		start := time.Now()
		var wg sync.WaitGroup
		for i := 1; i <= l.o.Burst; i++ {
			wg.Go(func() {
				l.post(ctx, "POST /api/auth/forgot-password (burst)", "/api/auth/forgot-password", "",
					fmt.Sprintf(`{"email":"user%d@example.com"}`, i), nil)
			})
		}
		wg.Wait()
		answered := time.Since(start)
		m, err = l.a.Client.Metrics(ctx)
		if err != nil {
			return nil, err
		}
		if got := m["CRITICAL"].Total - before; got != int64(l.o.Burst) {
			return nil, fmt.Errorf("burst %d: %d jobs queued, want %d", round+1, got, l.o.Burst)
		}
		queued := time.Since(start)
		deadline := start.Add(10 * time.Second)
		for sink.Count()-mails < l.o.Burst {
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("burst %d: %d of %d emails within 10 s", round+1, sink.Count()-mails, l.o.Burst)
			}
			time.Sleep(time.Millisecond)
		}
		out = append(out, [3]time.Duration{answered, queued, time.Since(start)})
		time.Sleep(RoundPause)
	}
	return out, nil
}

// mixed runs every route round-robin on Clients connections for Duration.
func (l *load) mixed(ctx context.Context) {
	cm, np := l.a.Cfg.CryptomusKey, l.a.Cfg.NOWPaymentsSecret
	routes := []func(ctx context.Context, n int64){
		func(ctx context.Context, n int64) {
			l.post(ctx, "POST /api/auth/forgot-password", "/api/auth/forgot-password", "", fmt.Sprintf(`{"email":"user%d@example.com"}`, 1+n%int64(l.o.Burst)), nil)
		},
		func(ctx context.Context, n int64) {
			l.post(ctx, "POST /api/auth/send-otp", "/api/auth/send-otp", "", fmt.Sprintf(`{"email":"otp%d@example.com"}`, n), nil)
		},
		func(ctx context.Context, n int64) {
			l.post(ctx, "POST /api/payments/process", "/api/payments/process", l.user, `{"amount":"19.99","currency":"USD","method":"card"}`, nil)
		},
		func(ctx context.Context, n int64) {
			order := l.cryptoOrders[n%int64(len(l.cryptoOrders))]
			body, _ := webhook.SignCryptomusBody([]byte(fmt.Sprintf(`{"type":"payment","uuid":"cm-%d","order_id":"%s","amount":"5.00","status":"paid"}`, n, order)), cm)
			l.post(ctx, "POST /api/webhooks/cryptomus", "/api/webhooks/cryptomus", "", string(body), nil)
		},
		func(ctx context.Context, n int64) {
			order := l.nowOrders[n%int64(len(l.nowOrders))]
			body := fmt.Sprintf(`{"payment_id":%d,"order_id":"%s","payment_status":"finished","price_amount":5}`, n, order)
			sig, _ := webhook.NOWPaymentsSign([]byte(body), np)
			l.post(ctx, "POST /api/webhooks/nowpayments", "/api/webhooks/nowpayments", "", body, map[string]string{webhook.NOWPaymentsHeader: sig})
		},
		func(ctx context.Context, n int64) {
			l.post(ctx, "POST /api/support/contact", "/api/support/contact", l.user, `{"subject":"Load","message":"hello"}`, nil)
		},
		func(ctx context.Context, n int64) {
			l.post(ctx, "POST /api/reports/transactions", "/api/reports/transactions", l.admin, `{"startDate":"2026-01-01","endDate":"2026-01-02"}`, nil)
		},
		func(ctx context.Context, n int64) {
			l.post(ctx, "POST /api/exports/transactions", "/api/exports/transactions", l.user, `{"filters":{"status":"failed"}}`, nil)
		},
	}
	ctx, cancel := context.WithTimeout(ctx, l.o.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for range l.o.Clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				n := l.next.Add(1)
				routes[n%int64(len(routes))](ctx, n)
			}
		})
	}
	wg.Wait()
}
