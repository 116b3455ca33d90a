package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Error codes of the JSON errors {"error":{"code":"…","message":"…"}}.
const (
	CodeInvalidJSON    = "invalid_json"    // the body is not one JSON object of the route's fields
	CodeInvalidRequest = "invalid_request" // a field is missing or wrong
	CodeTooLarge       = "body_too_large"  // the body is over MaxBodyBytes
	CodeUnauthorized   = "unauthorized"    // no bearer token, or a bad or expired one
	CodeForbidden      = "forbidden"       // the token's role may not use the route
	CodeBadSignature   = "bad_signature"   // a webhook's signature does not match
	CodeNotFound       = "not_found"       // no such user, job or file
	CodeNotReady       = "not_ready"       // the report or export has not finished
	CodeUnavailable    = "unavailable"     // the queue (and the fallback) could not take the work
	CodeInternal       = "internal"        // a bug or a database failure; the log has it
)

// DefaultMaxBodyBytes caps a request body: 64 KiB.
const DefaultMaxBodyBytes = 64 << 10

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encoding the answer failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// readBody reads the request body up to max bytes; it writes the error answer itself and
// returns false when the body is too large or unreadable.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body is over %d bytes", max))
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidJSON, "the body could not be read")
		return nil, false
	}
	return b, true
}

// decode reads the body into v strictly (one JSON object, no unknown fields) and writes a
// 4xx answer when it cannot.
func decode(w http.ResponseWriter, r *http.Request, max int64, v any) bool {
	b, ok := readBody(w, r, max)
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidJSON, "malformed JSON: "+jsonMessage(err))
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, CodeInvalidJSON, "malformed JSON: data after the object")
		return false
	}
	return true
}

func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	}
	if errors.Is(err, io.EOF) {
		return "empty body"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func invalid(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusBadRequest, CodeInvalidRequest, msg)
}

// NotFound answers every unrouted path with a JSON 404.
func NotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no route "+r.Method+" "+r.URL.Path)
	})
}
