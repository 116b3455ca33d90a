// Package webhook verifies the payment providers' webhook signatures, and signs bodies the
// same way (for tests, the load command and curl examples).
//
// Cryptomus signs with MD5(base64(body) + API key), hex. Its webhooks carry the signature as
// the body's "sign" field, computed over the body without that field as PHP's json_encode
// writes it (compact, in the sender's key order, "/" escaped as "\/"); an API-style request
// may carry it in a "sign" header instead, computed over the whole body. Both are accepted.
//
// NOWPayments signs with HMAC-SHA512 of the body's JSON with keys sorted (recursively),
// compact, keyed by the IPN secret, hex, in the x-nowpayments-sig header.
package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Errors of the checks; each wraps ErrBadSignature or ErrBadBody.
var (
	ErrBadSignature = errors.New("bad signature")
	ErrBadBody      = errors.New("bad webhook body")
)

// NOWPaymentsHeader is the header carrying the NOWPayments signature.
const NOWPaymentsHeader = "x-nowpayments-sig"

// CryptomusHeader is the header an API-style Cryptomus request carries its signature in.
const CryptomusHeader = "sign"

// CryptomusSign returns the Cryptomus signature of data: hex MD5(base64(data) + apiKey).
func CryptomusSign(data []byte, apiKey string) string {
	sum := md5.Sum([]byte(base64.StdEncoding.EncodeToString(data) + apiKey))
	return hex.EncodeToString(sum[:])
}

// VerifyCryptomus checks body against apiKey: against header when it is not empty, else
// against the body's own "sign" field.
func VerifyCryptomus(body []byte, header, apiKey string) error {
	if apiKey == "" {
		return fmt.Errorf("%w: no Cryptomus API key configured", ErrBadSignature)
	}
	sign, signed := header, body
	if sign == "" {
		var err error
		if sign, signed, err = withoutSign(body); err != nil {
			return err
		}
	}
	if sign == "" {
		return fmt.Errorf("%w: no sign field or header", ErrBadSignature)
	}
	want := CryptomusSign(signed, apiKey)
	if !hmac.Equal([]byte(strings.ToLower(sign)), []byte(want)) {
		return fmt.Errorf("%w: Cryptomus sign does not match", ErrBadSignature)
	}
	return nil
}

// SignCryptomusBody returns body (a JSON object without "sign") with a "sign" field added
// last, as Cryptomus sends its webhooks.
func SignCryptomusBody(body []byte, apiKey string) ([]byte, error) {
	var c bytes.Buffer
	if err := json.Compact(&c, body); err != nil || c.Len() < 2 || c.Bytes()[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrBadBody)
	}
	sign := CryptomusSign(c.Bytes(), apiKey)
	out := bytes.TrimSuffix(c.Bytes(), []byte("}"))
	if len(out) > 1 {
		out = append(out, ',')
	}
	return append(out, []byte(`"sign":"`+sign+`"}`)...), nil
}

// withoutSign splits body into its "sign" value and the compact object without that member,
// keeping every other key, value and its order byte for byte.
func withoutSign(body []byte) (string, []byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", nil, fmt.Errorf("%w: not a JSON object", ErrBadBody)
	}
	var out bytes.Buffer
	out.WriteByte('{')
	sign := ""
	first := true
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return "", nil, fmt.Errorf("%w: %v", ErrBadBody, err)
		}
		key := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return "", nil, fmt.Errorf("%w: %v", ErrBadBody, err)
		}
		if key == "sign" {
			if err := json.Unmarshal(raw, &sign); err != nil {
				return "", nil, fmt.Errorf("%w: sign is not a string", ErrBadBody)
			}
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		// The key is re-encoded the way PHP writes it (only "/" escaped beyond JSON's needs);
		// the value keeps its own bytes, compacted.
		out.WriteString(phpString(key))
		out.WriteByte(':')
		if err := json.Compact(&out, raw); err != nil {
			return "", nil, fmt.Errorf("%w: %v", ErrBadBody, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrBadBody, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", nil, fmt.Errorf("%w: data after the object", ErrBadBody)
	}
	out.WriteByte('}')
	return sign, out.Bytes(), nil
}

func phpString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "/", `\/`)
}

// NOWPaymentsSign returns the NOWPayments signature of body: hex HMAC-SHA512 of its
// key-sorted compact JSON, keyed by secret.
func NOWPaymentsSign(body []byte, secret string) (string, error) {
	sorted, err := SortedJSON(body)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha512.New, []byte(secret))
	m.Write(sorted)
	return hex.EncodeToString(m.Sum(nil)), nil
}

// VerifyNOWPayments checks the x-nowpayments-sig header sig against body and secret.
func VerifyNOWPayments(body []byte, sig, secret string) error {
	if secret == "" {
		return fmt.Errorf("%w: no NOWPayments IPN secret configured", ErrBadSignature)
	}
	if sig == "" {
		return fmt.Errorf("%w: no %s header", ErrBadSignature, NOWPaymentsHeader)
	}
	want, err := NOWPaymentsSign(body, secret)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(strings.ToLower(sig)), []byte(want)) {
		return fmt.Errorf("%w: %s does not match", ErrBadSignature, NOWPaymentsHeader)
	}
	return nil
}

// SortedJSON re-encodes a JSON object compactly with every object's keys sorted, numbers
// as written and no HTML escaping, as JavaScript's JSON.stringify of a key-sorted object.
func SortedJSON(body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil || v == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrBadBody)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the object", ErrBadBody)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // maps encode with sorted keys, at every depth
		return nil, fmt.Errorf("%w: %v", ErrBadBody, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
