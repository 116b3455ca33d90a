package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq/examples/fintech/internal/webhook"
)

// Bad input on every route: a clear 4xx JSON error, and nothing queued (no job in any tier,
// nothing in the outbox, no transaction row).
func TestBadInputQueuesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{})
	ctx := context.Background()
	cm := e.app.Cfg.CryptomusKey
	goodCM, _ := webhook.SignCryptomusBody([]byte(`{"uuid":"u1","order_id":"tx_x","status":"paid"}`), cm)
	otherCM, _ := webhook.SignCryptomusBody([]byte(`{"uuid":"u1","order_id":"tx_x","status":"paid"}`), "not-the-key")
	noOrderCM, _ := webhook.SignCryptomusBody([]byte(`{"uuid":"u1","status":"paid"}`), cm)
	ipn := `{"payment_id":1,"order_id":"tx_x","payment_status":"finished"}`
	ipnSig, _ := webhook.NOWPaymentsSign([]byte(ipn), e.app.Cfg.NOWPaymentsSecret)
	noOrder := `{"payment_id":1,"payment_status":"finished"}`
	noOrderSig, _ := webhook.NOWPaymentsSign([]byte(noOrder), e.app.Cfg.NOWPaymentsSecret)
	expired := e.token(2, "user", -time.Minute)
	expiredAdmin := e.token(1, "admin", -time.Minute)
	other, _ := newIssuer(strings.Repeat("x", 32))
	wrongSecret, _ := other.Sign(authUser(2, "user"), time.Hour)
	alg := noneToken(2)
	unknownUser := e.token(999999, "user", time.Hour)
	big := `{"email":"` + strings.Repeat("a", 70<<10) + `@example.com"}`

	cases := []struct {
		name, method, path, token, body string
		hdr                             []string
		code                            int
		errCode                         string
	}{
		{"forgot: malformed JSON", "POST", "/api/auth/forgot-password", "", `{"email":`, nil, 400, "invalid_json"},
		{"forgot: empty body", "POST", "/api/auth/forgot-password", "", ``, nil, 400, "invalid_json"},
		{"forgot: not an object", "POST", "/api/auth/forgot-password", "", `["a@example.com"]`, nil, 400, "invalid_json"},
		{"forgot: missing email", "POST", "/api/auth/forgot-password", "", `{}`, nil, 400, "invalid_request"},
		{"forgot: email a number", "POST", "/api/auth/forgot-password", "", `{"email":5}`, nil, 400, "invalid_json"},
		{"forgot: not an address", "POST", "/api/auth/forgot-password", "", `{"email":"nope"}`, nil, 400, "invalid_request"},
		{"forgot: unknown field", "POST", "/api/auth/forgot-password", "", `{"email":"user1@example.com","x":1}`, nil, 400, "invalid_json"},
		{"forgot: unknown user", "POST", "/api/auth/forgot-password", "", `{"email":"ghost@example.com"}`, nil, 404, "not_found"},
		{"forgot: body too large", "POST", "/api/auth/forgot-password", "", big, nil, 413, "body_too_large"},
		{"otp: malformed JSON", "POST", "/api/auth/send-otp", "", `{"email" "a"}`, nil, 400, "invalid_json"},
		{"otp: missing email", "POST", "/api/auth/send-otp", "", `{"code":"1"}`, nil, 400, "invalid_json"},
		{"otp: blank email", "POST", "/api/auth/send-otp", "", `{"email":"  "}`, nil, 400, "invalid_request"},
		{"payment: no token", "POST", "/api/payments/process", "", `{"amount":1,"currency":"USD","method":"card"}`, nil, 401, "unauthorized"},
		{"payment: garbage token", "POST", "/api/payments/process", "abc.def.ghi", `{"amount":1,"currency":"USD","method":"card"}`, nil, 401, "unauthorized"},
		{"payment: expired token", "POST", "/api/payments/process", expired, `{"amount":1,"currency":"USD","method":"card"}`, nil, 401, "unauthorized"},
		{"payment: other secret", "POST", "/api/payments/process", wrongSecret, `{"amount":1,"currency":"USD","method":"card"}`, nil, 401, "unauthorized"},
		{"payment: alg none", "POST", "/api/payments/process", alg, `{"amount":1,"currency":"USD","method":"card"}`, nil, 401, "unauthorized"},
		{"payment: unknown user", "POST", "/api/payments/process", unknownUser, `{"amount":1,"currency":"USD","method":"card"}`, nil, 401, "unauthorized"},
		{"payment: malformed JSON", "POST", "/api/payments/process", e.user, `{"amount":1,`, nil, 400, "invalid_json"},
		{"payment: missing amount", "POST", "/api/payments/process", e.user, `{"currency":"USD","method":"card"}`, nil, 400, "invalid_request"},
		{"payment: negative amount", "POST", "/api/payments/process", e.user, `{"amount":-5,"currency":"USD","method":"card"}`, nil, 400, "invalid_request"},
		{"payment: zero amount", "POST", "/api/payments/process", e.user, `{"amount":0,"currency":"USD","method":"card"}`, nil, 400, "invalid_request"},
		{"payment: three decimals", "POST", "/api/payments/process", e.user, `{"amount":1.005,"currency":"USD","method":"card"}`, nil, 400, "invalid_request"},
		{"payment: amount a word", "POST", "/api/payments/process", e.user, `{"amount":"ten","currency":"USD","method":"card"}`, nil, 400, "invalid_request"},
		{"payment: too large", "POST", "/api/payments/process", e.user, `{"amount":"1000000.01","currency":"USD","method":"card"}`, nil, 400, "invalid_request"},
		{"payment: missing currency", "POST", "/api/payments/process", e.user, `{"amount":1,"method":"card"}`, nil, 400, "invalid_request"},
		{"payment: bad method", "POST", "/api/payments/process", e.user, `{"amount":1,"currency":"USD","method":"cash"}`, nil, 400, "invalid_request"},
		{"payment: missing method", "POST", "/api/payments/process", e.user, `{"amount":1,"currency":"USD"}`, nil, 400, "invalid_request"},
		{"cryptomus: bad signature", "POST", "/api/webhooks/cryptomus", "", string(otherCM), nil, 401, "bad_signature"},
		{"cryptomus: no signature", "POST", "/api/webhooks/cryptomus", "", `{"uuid":"u1","order_id":"tx_x","status":"paid"}`, nil, 401, "bad_signature"},
		{"cryptomus: bad header sign", "POST", "/api/webhooks/cryptomus", "", string(goodCM), []string{"sign", "00"}, 401, "bad_signature"},
		{"cryptomus: malformed JSON", "POST", "/api/webhooks/cryptomus", "", `{"uuid":`, nil, 400, "invalid_json"},
		{"cryptomus: missing order", "POST", "/api/webhooks/cryptomus", "", string(noOrderCM), nil, 400, "invalid_json"},
		{"nowpayments: bad signature", "POST", "/api/webhooks/nowpayments", "", ipn, []string{webhook.NOWPaymentsHeader, strings.Repeat("0", 128)}, 401, "bad_signature"},
		{"nowpayments: no signature", "POST", "/api/webhooks/nowpayments", "", ipn, nil, 401, "bad_signature"},
		{"nowpayments: tampered", "POST", "/api/webhooks/nowpayments", "", strings.Replace(ipn, "tx_x", "tx_y", 1), []string{webhook.NOWPaymentsHeader, ipnSig}, 401, "bad_signature"},
		{"nowpayments: malformed JSON", "POST", "/api/webhooks/nowpayments", "", `{"payment_id"`, []string{webhook.NOWPaymentsHeader, ipnSig}, 400, "invalid_json"},
		{"nowpayments: missing order", "POST", "/api/webhooks/nowpayments", "", noOrder, []string{webhook.NOWPaymentsHeader, noOrderSig}, 400, "invalid_json"},
		{"contact: no token", "POST", "/api/support/contact", "", `{"subject":"a","message":"b"}`, nil, 401, "unauthorized"},
		{"contact: expired token", "POST", "/api/support/contact", expired, `{"subject":"a","message":"b"}`, nil, 401, "unauthorized"},
		{"contact: malformed JSON", "POST", "/api/support/contact", e.user, `{"subject":"a"`, nil, 400, "invalid_json"},
		{"contact: missing subject", "POST", "/api/support/contact", e.user, `{"message":"b"}`, nil, 400, "invalid_request"},
		{"contact: missing message", "POST", "/api/support/contact", e.user, `{"subject":"a"}`, nil, 400, "invalid_request"},
		{"contact: header injection", "POST", "/api/support/contact", e.user, `{"subject":"a\r\nBcc: x@y.z","message":"b"}`, nil, 400, "invalid_request"},
		{"report: no token", "POST", "/api/reports/transactions", "", `{"startDate":"2026-01-01","endDate":"2026-02-01"}`, nil, 401, "unauthorized"},
		{"report: user role", "POST", "/api/reports/transactions", e.user, `{"startDate":"2026-01-01","endDate":"2026-02-01"}`, nil, 403, "forbidden"},
		{"report: expired admin", "POST", "/api/reports/transactions", expiredAdmin, `{"startDate":"2026-01-01","endDate":"2026-02-01"}`, nil, 401, "unauthorized"},
		{"report: malformed JSON", "POST", "/api/reports/transactions", e.admin, `{"startDate":`, nil, 400, "invalid_json"},
		{"report: missing dates", "POST", "/api/reports/transactions", e.admin, `{"format":"csv"}`, nil, 400, "invalid_request"},
		{"report: bad date", "POST", "/api/reports/transactions", e.admin, `{"startDate":"01/01/2026","endDate":"2026-02-01"}`, nil, 400, "invalid_request"},
		{"report: end before start", "POST", "/api/reports/transactions", e.admin, `{"startDate":"2026-03-01","endDate":"2026-02-01"}`, nil, 400, "invalid_request"},
		{"report: bad format", "POST", "/api/reports/transactions", e.admin, `{"startDate":"2026-01-01","endDate":"2026-02-01","format":"xlsx"}`, nil, 400, "invalid_request"},
		{"export: no token", "POST", "/api/exports/transactions", "", `{}`, nil, 401, "unauthorized"},
		{"export: expired token", "POST", "/api/exports/transactions", expired, `{}`, nil, 401, "unauthorized"},
		{"export: malformed JSON", "POST", "/api/exports/transactions", e.user, `{"filters":{`, nil, 400, "invalid_json"},
		{"export: bad status", "POST", "/api/exports/transactions", e.user, `{"filters":{"status":"lost"}}`, nil, 400, "invalid_request"},
		{"export: bad date", "POST", "/api/exports/transactions", e.user, `{"filters":{"from":"yesterday"}}`, nil, 400, "invalid_request"},
		{"export: filters not an object", "POST", "/api/exports/transactions", e.user, `{"filters":"all"}`, nil, 400, "invalid_json"},
		{"status: no token", "GET", "/api/exports/transactions/401M8XBYBT5E0H6FQBNDZ6R", "", ``, nil, 401, "unauthorized"},
		{"status: unknown job", "GET", "/api/exports/transactions/401M8XBYBT5E0H6FQBNDZ6R", e.user, ``, nil, 404, "not_found"},
		{"status: garbage id", "GET", "/api/exports/transactions/%00", e.user, ``, nil, 404, "not_found"},
		{"report status: user role", "GET", "/api/reports/transactions/401M8XBYBT5E0H6FQBNDZ6R", e.user, ``, nil, 403, "forbidden"},
		{"download: unknown job", "GET", "/api/exports/transactions/401M8XBYBT5E0H6FQBNDZ6R/download", e.user, ``, nil, 404, "not_found"},
		{"payment status: other's", "GET", "/api/payments/tx_nope", e.user, ``, nil, 404, "not_found"},
		{"job API: user role", "POST", "/api/jobs", e.user, `{"type":"send_email","payload":{}}`, nil, 403, "forbidden"},
		{"job API: no token", "POST", "/api/jobs", "", `{"type":"send_email","payload":{}}`, nil, 401, "unauthorized"},
		{"job API: expired admin", "POST", "/api/jobs", expiredAdmin, `{"type":"send_email","payload":{}}`, nil, 401, "unauthorized"},
		{"job API: unknown type", "POST", "/api/jobs", e.admin, `{"type":"mine_bitcoin","payload":{}}`, nil, 400, "unknown_job_type"},
		{"unrouted", "GET", "/api/nothing", "", ``, nil, 404, "not_found"},
	}
	before := e.queued()
	for _, c := range cases {
		code, out := e.do(c.method, c.path, c.token, c.body, c.hdr...)
		errObj, _ := out["error"].(map[string]any)
		if code != c.code || errObj == nil || errObj["code"] != c.errCode || errObj["message"] == "" {
			t.Errorf("%s: %d %v, want %d with error code %q", c.name, code, out, c.code, c.errCode)
		}
	}
	if after := e.queued(); after != before {
		t.Fatalf("bad requests queued %d jobs", after-before)
	}
	n := 0
	if err := e.app.Ledger.EachTransaction(ctx, ledgerFilter(), func(ledgerTx) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("bad requests wrote %d transactions (%v)", n, err)
	}
	// And a good request does queue: the count above can move.
	if code, _ := e.do("POST", "/api/auth/send-otp", "", `{"email":"a@example.com"}`); code != 200 || e.queued() != before+1 {
		t.Fatalf("a good request: %d, queued %d → %d", code, before, e.queued())
	}
}
