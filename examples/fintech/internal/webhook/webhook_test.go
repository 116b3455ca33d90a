package webhook

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"
)

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// Cryptomus: the body's sign covers the body without it, as PHP writes it ("/" as "\/", the
// sender's key order); a header sign covers the whole body. Anything else is refused.
func TestVerifyCryptomus(t *testing.T) {
	t.Parallel()
	const key = "cryptomus-key"
	// What PHP's json_encode($data, JSON_UNESCAPED_UNICODE) gives for the data without sign.
	signed := `{"type":"payment","uuid":"u-1","order_id":"tx_1","amount":"10.00","url":"https:\/\/pay.cryptomus.com\/pay\/u-1","note":"café","status":"paid"}`
	sign := md5hex(base64.StdEncoding.EncodeToString([]byte(signed)) + key)
	// As sent: sign last, in the middle, with spaces: each is the same signed data.
	bodies := []string{
		`{"type":"payment","uuid":"u-1","order_id":"tx_1","amount":"10.00","url":"https:\/\/pay.cryptomus.com\/pay\/u-1","note":"café","status":"paid","sign":"` + sign + `"}`,
		`{"type":"payment","uuid":"u-1","sign":"` + sign + `","order_id":"tx_1","amount":"10.00","url":"https:\/\/pay.cryptomus.com\/pay\/u-1","note":"café","status":"paid"}`,
		`{ "type": "payment", "uuid": "u-1", "order_id": "tx_1", "amount": "10.00", "url": "https:\/\/pay.cryptomus.com\/pay\/u-1", "note": "café", "status": "paid", "sign": "` + sign + `" }`,
	}
	for i, b := range bodies {
		if err := VerifyCryptomus([]byte(b), "", key); err != nil {
			t.Errorf("body %d: %v", i, err)
		}
	}
	whole := `{"order_id":"tx_1","status":"paid"}`
	headerSign := md5hex(base64.StdEncoding.EncodeToString([]byte(whole)) + key)
	if err := VerifyCryptomus([]byte(whole), headerSign, key); err != nil {
		t.Errorf("header sign: %v", err)
	}
	bad := []struct {
		name, body, header, key string
		want                    error
	}{
		{"tampered amount", `{"type":"payment","uuid":"u-1","order_id":"tx_1","amount":"99.00","url":"https:\/\/pay.cryptomus.com\/pay\/u-1","note":"café","status":"paid","sign":"` + sign + `"}`, "", key, ErrBadSignature},
		{"other key", bodies[0], "", "other", ErrBadSignature},
		{"no sign", signed, "", key, ErrBadSignature},
		{"bad header", whole, md5hex("x"), key, ErrBadSignature},
		{"no key configured", bodies[0], "", "", ErrBadSignature},
		{"not JSON", `{"sign":`, "", key, ErrBadBody},
		{"an array", `[1]`, "", key, ErrBadBody},
		{"sign not a string", `{"sign":5}`, "", key, ErrBadBody},
		{"trailing data", bodies[0] + `{}`, "", key, ErrBadBody},
	}
	for _, c := range bad {
		if err := VerifyCryptomus([]byte(c.body), c.header, c.key); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// SignCryptomusBody makes what VerifyCryptomus accepts.
	b, err := SignCryptomusBody([]byte(`{"uuid":"u","order_id":"o","status":"paid"}`), key)
	if err != nil || VerifyCryptomus(b, "", key) != nil {
		t.Fatalf("SignCryptomusBody: %s %v", b, err)
	}
}

// NOWPayments: HMAC-SHA512 over the key-sorted JSON (recursively), keyed by the IPN secret.
func TestVerifyNOWPayments(t *testing.T) {
	t.Parallel()
	const secret = "ipn-secret"
	body := `{"payment_status":"finished","payment_id":5077125051,"order_id":"tx_1","price_amount":7.25,"fee":{"depositFee":0,"currency":"btc"},"url":"a/b<c>"}`
	sorted := `{"fee":{"currency":"btc","depositFee":0},"order_id":"tx_1","payment_id":5077125051,"payment_status":"finished","price_amount":7.25,"url":"a/b<c>"}`
	got, err := SortedJSON([]byte(body))
	if err != nil || string(got) != sorted {
		t.Fatalf("SortedJSON:\n%s\nwant\n%s (%v)", got, sorted, err)
	}
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(sorted))
	sig := hex.EncodeToString(m.Sum(nil))
	if err := VerifyNOWPayments([]byte(body), sig, secret); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name, body, sig, secret string
		want                    error
	}{
		{"tampered", `{"payment_status":"finished","payment_id":5077125051,"order_id":"tx_2","price_amount":7.25,"fee":{"depositFee":0,"currency":"btc"},"url":"a/b<c>"}`, sig, secret, ErrBadSignature},
		{"other secret", body, sig, "x", ErrBadSignature},
		{"no header", body, "", secret, ErrBadSignature},
		{"no secret configured", body, sig, "", ErrBadSignature},
		{"not JSON", `{`, sig, secret, ErrBadBody},
		{"null", `null`, sig, secret, ErrBadBody},
	}
	for _, c := range bad {
		if err := VerifyNOWPayments([]byte(c.body), c.sig, c.secret); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestParseAndOutcome(t *testing.T) {
	t.Parallel()
	n, err := ParseNOWPayments([]byte(`{"payment_id":"42","order_id":"o","payment_status":"finished"}`))
	if err != nil || n.PaymentID != "42" || n.Outcome() != OutcomeCompleted {
		t.Fatalf("%+v %v", n, err)
	}
	n, err = ParseNOWPayments([]byte(`{"payment_id":42,"order_id":"o","payment_status":"expired"}`))
	if err != nil || n.PaymentID != "42" || n.Outcome() != OutcomeFailed {
		t.Fatalf("%+v %v", n, err)
	}
	if _, err := ParseNOWPayments([]byte(`{"order_id":"o","payment_status":"finished"}`)); !errors.Is(err, ErrBadBody) {
		t.Fatalf("no payment_id: %v", err)
	}
	if _, err := ParseCryptomus([]byte(`{"uuid":"u","status":"paid"}`)); !errors.Is(err, ErrBadBody) {
		t.Fatalf("no order_id: %v", err)
	}
	if n, _ := ParseCryptomus([]byte(`{"uuid":"u","order_id":"o","status":"confirm_check"}`)); n.Outcome() != OutcomeProcessing {
		t.Fatalf("confirm_check: %q", n.Outcome())
	}
}
