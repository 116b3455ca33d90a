package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
)

// The stable error codes of the API, in {"error":{"code":…}}. Clients branch on the code; the
// message is for people and may change.
const (
	CodeUnauthorized     = "unauthorized"       // 401: no bearer token, or not an accepted one
	CodeBadRequest       = "bad_request"        // 400: a malformed body or query parameter
	CodeInvalidJob       = "invalid_job"        // 400: the job was refused (bad option, payload not JSON, …); nothing stored
	CodeUnknownTier      = "unknown_tier"       // 400: the tier or priority names no tier
	CodeUnknownJobType   = "unknown_job_type"   // 400: the job type is not one the server declares
	CodeNotFound         = "not_found"          // 404: no such job, dead letter or route
	CodeMethodNotAllowed = "method_not_allowed" // 405: the route exists under another method
	CodeNotCancellable   = "not_cancellable"    // 409: the job is neither waiting nor delayed
	CodeTooLarge         = "payload_too_large"  // 413: the body or the job payload is over its limit
	CodeInternal         = "internal"           // 500: an unexpected failure (logged by the server)
	CodeNotImplemented   = "not_implemented"    // 501: this server has no such capability (e.g. no dead-letter queue)
	CodeUnavailable      = "unavailable"        // 503: the store or the dead-letter database did not answer
)

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apiError is an error that knows its answer.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func fail(status int, code, msg string) *apiError { return &apiError{status, code, msg} }

func badRequest(msg string) *apiError { return fail(http.StatusBadRequest, CodeBadRequest, msg) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "encode answer: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n')) //nolint:errcheck // the client went away
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(errorBody{errorDetail{Code: code, Message: msg}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n')) //nolint:errcheck // the client went away
}

// writeErr answers err: an *apiError as it says, slaq's sentinels by their meaning, a
// timeout or a store failure as 503, anything else as 500.
func writeErr(w http.ResponseWriter, err error) {
	var ae *apiError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		writeError(w, ae.status, ae.code, ae.msg)
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "request body is over the limit of "+itoa(tooBig.Limit)+" bytes")
	case errors.Is(err, slaq.ErrInvalid):
		writeError(w, http.StatusBadRequest, CodeInvalidJob, err.Error())
	case errors.Is(err, slaq.ErrNotFound), errors.Is(err, dlq.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, ErrNotCancellable):
		writeError(w, http.StatusConflict, CodeNotCancellable, err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, err.Error())
	default:
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, err.Error())
	}
}

func nowMs() int64 { return time.Now().UnixMilli() }
