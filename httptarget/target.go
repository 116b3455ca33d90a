package httptarget

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slaqhq/slaq"
)

// Defaults of [Target] and [Options].
const (
	// DefaultTimeout bounds one request (the job's own timeout bounds it too): 30 s.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxErrorBytes is how much of a failing answer's body becomes the job's last
	// error: 1 KiB.
	DefaultMaxErrorBytes = 1 << 10
	// DefaultMaxDrainBytes is how much of an answer's body is read and discarded so that its
	// connection can be reused: 64 KiB. Longer bodies close the connection.
	DefaultMaxDrainBytes = 64 << 10
	// DefaultMaxRetryAfter caps how long a Retry-After snoozes a job: 1 h.
	DefaultMaxRetryAfter = time.Hour
	// DefaultMaxIdleConnsPerHost is how many idle keep-alive connections the shared
	// transport keeps per receiver: 256, more than every tier's default workers together.
	DefaultMaxIdleConnsPerHost = 256
	// UserAgent is sent with every request.
	UserAgent = "slaq-httptarget/1"
)

// Target is where a job type's runs go.
type Target struct {
	// URL receives a POST per run. Required: http or https.
	URL string
	// Secret signs every request (SignatureHeader). Required: a receiver must be able to
	// tell slaq's requests from anyone else's.
	Secret []byte
	// Timeout bounds one request. Default DefaultTimeout.
	Timeout time.Duration
	// Header is added to every request (e.g. an Authorization for the receiver). Default none.
	Header http.Header
}

// Options tune how targets are called. The zero value is usable.
type Options struct {
	// Client sends the requests. Default one client over a shared transport that keeps
	// DefaultMaxIdleConnsPerHost idle connections per host.
	Client *http.Client
	// MaxErrorBytes is how much of a failing body is recorded. Default DefaultMaxErrorBytes.
	MaxErrorBytes int
	// MaxRetryAfter caps a Retry-After snooze. Default DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// Now tells the time for signatures. Default time.Now.
	Now func() time.Time
}

var (
	sharedOnce   sync.Once
	sharedClient *http.Client
)

// DefaultClient is the client targets use when Options.Client is nil.
func DefaultClient() *http.Client {
	sharedOnce.Do(func() {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 0 // no global limit: the per-host one applies
		tr.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
		sharedClient = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is an answer (a 3xx: permanent), not followed with the signed body
		}}
	})
	return sharedClient
}

// Handler is a slaq.Handler that POSTs each job to its Target.
type Handler struct {
	t      Target
	url    string
	client *http.Client
	opts   Options
}

// New checks t and returns its handler.
func New(t Target, opts Options) (*Handler, error) {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("httptarget: URL %q: want http(s)://host/path", t.URL)
	}
	if len(t.Secret) == 0 {
		return nil, errors.New("httptarget: a target needs a secret to sign its requests")
	}
	if t.Timeout <= 0 {
		t.Timeout = DefaultTimeout
	}
	if opts.Client == nil {
		opts.Client = DefaultClient()
	}
	if opts.MaxErrorBytes <= 0 {
		opts.MaxErrorBytes = DefaultMaxErrorBytes
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Handler{t: t, url: u.String(), client: opts.Client, opts: opts}, nil
}

// Register registers a handler for t under job type typ on mux.
func Register(mux *slaq.ServeMux, typ string, t Target, opts Options) error {
	h, err := New(t, opts)
	if err != nil {
		return fmt.Errorf("job type %s: %w", typ, err)
	}
	mux.Handle(typ, h)
	return nil
}

// ProcessJob POSTs job and maps the answer to its outcome (see the package doc).
func (h *Handler) ProcessJob(ctx context.Context, job *slaq.Job) error {
	// A fresh buffer per run: the transport may still read the body after Do returns.
	body := appendDelivery(make([]byte, 0, 160+len(job.Payload)), job)

	rctx, cancel := context.WithTimeout(ctx, h.t.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return slaq.Permanent(fmt.Errorf("httptarget: build request: %w", err))
	}
	for k, vs := range h.t.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(SignatureHeader, Sign(h.t.Secret, h.opts.Now(), body))
	req.Header.Set("Slaq-Job-Id", job.ID)
	resp, err := h.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("httptarget: POST %s: %w", h.url, ctx.Err()) // the job's timeout or a shutdown
		}
		return fmt.Errorf("httptarget: POST %s: %w", h.url, describe(err, h.t.Timeout)) // a retry
	}
	return h.outcome(resp)
}

// outcome reads (a bounded part of) resp's body and maps its status.
func (h *Handler) outcome(resp *http.Response) error {
	defer resp.Body.Close()
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		_, _ = io.CopyN(io.Discard, resp.Body, DefaultMaxDrainBytes)
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, int64(h.opts.MaxErrorBytes)))
	_, _ = io.CopyN(io.Discard, resp.Body, DefaultMaxDrainBytes)
	err := fmt.Errorf("httptarget: POST %s: %s: %s", h.url, resp.Status, clean(msg))
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), h.opts.Now()); ok {
			return slaq.Snooze(min(d, h.opts.MaxRetryAfter))
		}
		return err
	case code >= 500, code == http.StatusRequestTimeout, code == http.StatusTooEarly:
		return err
	default:
		return slaq.Permanent(err)
	}
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return time.Duration(min(n, int64(1<<31))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// describe names a transport failure for the job's last error.
func describe(err error, timeout time.Duration) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s: %w", timeout, err)
	}
	return err
}

// clean makes a body fit for an error message: valid UTF-8, one line, trimmed.
func clean(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(empty body)"
	}
	return s
}
