package httptarget

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the request header carrying the timestamp and the signature.
const SignatureHeader = "Slaq-Signature"

// DefaultTolerance is how old (or how far in the future) a signature's timestamp may be for
// Verify to accept it: 5 min, so a captured request cannot be replayed later.
const DefaultTolerance = 5 * time.Minute

// DefaultMaxDeliveryBytes is the largest body ReadDelivery reads: 2 MiB (a 1 MiB payload,
// escaped, and the envelope).
const DefaultMaxDeliveryBytes = 2 << 20

// ErrSignature is wrapped by every verification failure.
var ErrSignature = errors.New("httptarget: bad signature")

// Sign returns the header value for body signed with secret at t: "t=<unix>,v1=<hex>".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks header (the SignatureHeader value) against body and secret, and that its
// timestamp is within tolerance of now (0: DefaultTolerance). The error wraps ErrSignature.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("%w: want t=<unix>,v1=<hex>", ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %s is outside %s of now", ErrSignature, ts, tolerance)
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, ts, body))) {
		return fmt.Errorf("%w: signature does not match the body", ErrSignature)
	}
	return nil
}

// ReadDelivery reads r's body (at most DefaultMaxDeliveryBytes), verifies its signature with
// secret at the current time and decodes it. A receiver answers 401 when the error wraps
// ErrSignature (a 4xx dead-letters the job: the sender's secret is wrong).
func ReadDelivery(r *http.Request, secret []byte) (*Delivery, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, DefaultMaxDeliveryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("httptarget: read body: %w", err)
	}
	if len(body) > DefaultMaxDeliveryBytes {
		return nil, fmt.Errorf("httptarget: body over %d bytes", DefaultMaxDeliveryBytes)
	}
	if err := Verify(secret, r.Header.Get(SignatureHeader), body, time.Now(), 0); err != nil {
		return nil, err
	}
	var d Delivery
	if err := d.UnmarshalJSON(body); err != nil {
		return nil, fmt.Errorf("httptarget: decode delivery: %w", err)
	}
	return &d, nil
}
