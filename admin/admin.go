package admin

import (
	"context"
	"errors"
	"net/http"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
)

// Defaults of [Options]; each applies when its field is left at the zero value.
const (
	// DefaultMaxPayloadBytes is the largest job payload POST /api/jobs accepts (413 past it):
	// slaq's own default, 1 MiB.
	DefaultMaxPayloadBytes = slaq.DefaultMaxPayloadBytes
	// DefaultEnvelopeBytes is what a request body may hold beyond the payload (type, options,
	// ids): 64 KiB. The body limit is MaxPayloadBytes + DefaultEnvelopeBytes.
	DefaultEnvelopeBytes = 64 << 10
	// DefaultListLimit is the page size of job and dead-letter listings when the request
	// gives none: 50.
	DefaultListLimit = 50
	// MaxListLimit is the largest page a listing returns, and the most ids one bulk request
	// names: 1000.
	MaxListLimit = 1000
	// TestOTPType and TestReportType are the job types the development test routes enqueue
	// (the guide's send_otp, CRITICAL, and generate_report, LOW).
	TestOTPType    = "send_otp"
	TestReportType = "generate_report"
)

// DeadLetters is what the admin API needs of the dead-letter queue; *dlq.DB implements it.
type DeadLetters interface {
	List(ctx context.Context, f dlq.Filter) ([]dlq.Entry, error)
	Count(ctx context.Context, f dlq.Filter) (int64, error)
	Get(ctx context.Context, jobID string) (*dlq.Entry, error)
	Delete(ctx context.Context, jobIDs ...string) (int, error)
	Purge(ctx context.Context, olderThan int64) (int, error)
}

var _ DeadLetters = (*dlq.DB)(nil)

// Options configure a [Handler]. Client is required, and so is at least one token.
type Options struct {
	// Client enqueues, reads jobs, pauses tiers, retries dead letters and reports metrics.
	// Required.
	Client *slaq.Client
	// DeadLetters is the dead-letter queue to browse, delete from and purge (retries go
	// through Client, which must have the same queue as its Config.DeadLetters). Default:
	// none, and the dead-letter routes answer 501 not_implemented.
	DeadLetters DeadLetters
	// Tokens are the accepted bearer tokens (several, to rotate one without downtime).
	// Required: New fails without a non-empty token.
	Tokens []string
	// Development turns on POST /api/jobs/test/otp and /test/report. Default false: those
	// routes do not exist.
	Development bool
	// JobTypes, when not empty, are the only job types POST /api/jobs accepts (400
	// unknown_job_type for others). Default: any type.
	JobTypes []string
	// MaxPayloadBytes caps an enqueued payload. Default DefaultMaxPayloadBytes; keep it at or
	// under the client's Config.MaxPayloadBytes.
	MaxPayloadBytes int
	// Now tells the time, for purges by age. Default time.Now in Unix ms.
	Now func() int64
}

// Handler serves the admin API. It is safe for concurrent use.
type Handler struct {
	opts     Options
	auth     *tokenSet
	mux      *http.ServeMux
	routes   []route
	maxBody  int64
	jobTypes map[string]bool
}

// New returns the admin API over opts, or an error when a required option is missing.
func New(opts Options) (*Handler, error) {
	if opts.Client == nil {
		return nil, errors.New("admin: Options.Client is required")
	}
	auth, err := newTokenSet(opts.Tokens)
	if err != nil {
		return nil, err
	}
	if opts.MaxPayloadBytes <= 0 {
		opts.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	if opts.Now == nil {
		opts.Now = nowMs
	}
	h := &Handler{opts: opts, auth: auth, mux: http.NewServeMux(),
		maxBody: int64(opts.MaxPayloadBytes) + DefaultEnvelopeBytes}
	if len(opts.JobTypes) > 0 {
		h.jobTypes = make(map[string]bool, len(opts.JobTypes))
		for _, t := range opts.JobTypes {
			h.jobTypes[t] = true
		}
	}
	h.routes = h.table()
	for _, r := range h.routes {
		h.mux.HandleFunc(r.Method+" "+r.Pattern, r.handle)
	}
	return h, nil
}

// ServeHTTP authenticates the request, then routes it. Every route, and every path that
// matches none, answers 401 without a valid token.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.auth.allowed(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="slaq"`)
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, "missing or invalid bearer token")
		return
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.unrouted(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
	h.mux.ServeHTTP(w, r)
}

// Route is one registered admin route, for documentation and tests.
type Route struct {
	Method  string // e.g. "GET"
	Pattern string // net/http pattern path, e.g. "/api/jobs/{id}"
}

// Routes lists every registered route, in registration order.
func (h *Handler) Routes() []Route {
	out := make([]Route, len(h.routes))
	for i, r := range h.routes {
		out[i] = Route{Method: r.Method, Pattern: r.Pattern}
	}
	return out
}

// route is one entry of the route table.
type route struct {
	Method  string
	Pattern string
	handle  http.HandlerFunc
}

// table is every route the handler serves; New registers each one behind the token check.
func (h *Handler) table() []route {
	rs := []route{
		{"GET", "/api/jobs/metrics", h.metrics},
		{"POST", "/api/jobs/pause", h.pause},
		{"POST", "/api/jobs/resume", h.resume},
		{"POST", "/api/jobs", h.enqueue},
		{"GET", "/api/jobs", h.list},
		{"GET", "/api/jobs/{id}", h.job},
		{"POST", "/api/jobs/{id}/cancel", h.cancel},
		{"GET", "/api/jobs/dead-letters", h.deadLetters},
		{"GET", "/api/jobs/dead-letters/{id}", h.deadLetter},
		{"POST", "/api/jobs/dead-letters/{id}/retry", h.retryDeadLetter},
		{"POST", "/api/jobs/dead-letters/retry", h.retryDeadLetters},
		{"DELETE", "/api/jobs/dead-letters/{id}", h.deleteDeadLetter},
		{"POST", "/api/jobs/dead-letters/delete", h.deleteDeadLetters},
		{"POST", "/api/jobs/dead-letters/purge", h.purgeDeadLetters},
		{"GET", "/api/jobs/schedules", h.schedules},
		{"GET", "/api/jobs/openapi.json", h.openAPI},
	}
	if h.opts.Development {
		rs = append(rs,
			route{"POST", "/api/jobs/test/otp", h.testOTP},
			route{"POST", "/api/jobs/test/report", h.testReport})
	}
	return rs
}

// unrouted answers a request that matches no route: 405 with Allow when the path exists
// under another method, else 404.
func (h *Handler) unrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "DELETE", "PUT", "PATCH"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := h.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
		writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
		return
	}
	writeError(w, http.StatusNotFound, CodeNotFound, "no route "+r.Method+" "+r.URL.Path)
}
