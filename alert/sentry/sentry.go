// Package sentry sends slaq alerts to Sentry, tagged as the guide tags them: jobType,
// priority (the tier's number) and jobId, with the payload (jobData) and attempts in the event's "job" context (sentry-go has no
// extra any more).
package sentry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"

	sentrygo "github.com/getsentry/sentry-go"

	"github.com/slaqhq/slaq/alert"
)

// Options configure a [Notifier].
type Options struct {
	// DSN is the project's DSN. Default the SENTRY_DSN environment variable.
	DSN string
	// Environment tags every event (e.g. "production"). Default none.
	Environment string
	// HTTPClient sends the events. Default http.DefaultClient's transport.
	HTTPClient *http.Client
}

// Notifier reports alerts to Sentry, one synchronous send per alert, so that a failed send
// is an error the alert manager retries.
type Notifier struct {
	client *sentrygo.Client
	mu     sync.Mutex
	last   error // the outcome of the latest send, recorded by the round tripper
}

// ErrNoDSN is returned by New when no DSN is given and SENTRY_DSN is unset.
var ErrNoDSN = errors.New("sentry: no DSN (set SENTRY_DSN)")

// New returns a notifier, or ErrNoDSN.
func New(o Options) (*Notifier, error) {
	if o.DSN == "" {
		o.DSN = os.Getenv("SENTRY_DSN")
	}
	if o.DSN == "" {
		return nil, ErrNoDSN
	}
	n := &Notifier{}
	base := http.DefaultTransport
	if o.HTTPClient != nil && o.HTTPClient.Transport != nil {
		base = o.HTTPClient.Transport
	}
	c, err := sentrygo.NewClient(sentrygo.ClientOptions{Dsn: o.DSN, Environment: o.Environment,
		Transport: sentrygo.NewHTTPSyncTransport(), HTTPClient: &http.Client{Transport: recorder{n, base}}})
	if err != nil {
		return nil, fmt.Errorf("sentry: %w", err)
	}
	n.client = c
	return n, nil
}

// Name is "sentry".
func (*Notifier) Name() string { return "sentry" }

// errNotSent is the outcome of a send that made no request (Sentry rate-limited us).
var errNotSent = errors.New("sentry: the event was not sent (rate limited)")

// Notify sends a as a Sentry error event and reports whether Sentry took it.
func (n *Notifier) Notify(_ context.Context, a alert.Alert) error {
	ev := sentrygo.NewEvent()
	ev.Level = sentrygo.LevelError
	ev.Message = a.Summary
	msg := a.Error
	if msg == "" {
		msg = a.Summary
	}
	ev.Exception = []sentrygo.Exception{{Type: a.Rule, Value: msg}}
	ev.Tags = map[string]string{"rule": a.Rule}
	extra := sentrygo.Context{}
	if j := a.Job; j != nil {
		ev.Tags["jobType"] = j.Type
		ev.Tags["priority"] = strconv.Itoa(int(j.Tier))
		ev.Tags["tier"] = j.Tier.String()
		ev.Tags["jobId"] = j.ID
		extra["jobData"] = string(j.Payload)
		extra["attempts"] = j.Attempts
	}
	if a.Count > 0 {
		extra["count"] = a.Count
	}
	ev.Contexts = map[string]sentrygo.Context{"job": extra} // the guide's "extra"
	ev.Fingerprint = []string{a.Key}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.last = errNotSent
	n.client.CaptureEvent(ev, nil, nil)
	return n.last
}

// recorder keeps the outcome of each request for Notify (sends are serial: n.mu is held).
type recorder struct {
	n    *Notifier
	next http.RoundTripper
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	switch {
	case err != nil:
		r.n.last = fmt.Errorf("sentry: send: %w", err)
	case resp.StatusCode >= 300:
		r.n.last = fmt.Errorf("sentry: send: %s", resp.Status)
	default:
		r.n.last = nil
	}
	return resp, err
}
