package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
)

// Defaults of [Options]; each applies when its field is left at the zero value.
const (
	// DefaultPath is where the dashboard is mounted: "/dashboard/".
	DefaultPath = "/dashboard/"
	// DefaultRefreshInterval is how often the tiers table refreshes itself: 2 s.
	DefaultRefreshInterval = 2 * time.Second
	// DefaultSessionLifetime is how long a sign-in lasts: 12 h.
	DefaultSessionLifetime = 12 * time.Hour
	// DefaultMaxSessions is how many sessions the handler keeps; signing in past it ends the
	// oldest: 1000.
	DefaultMaxSessions = 1000
	// DefaultPageSize is how many jobs or dead letters a page lists: 25.
	DefaultPageSize = 25
	// DefaultAtRisk is the share of its target at which a tier's pickup p99 (or its oldest
	// waiting job's age) counts as at risk: 0.8.
	DefaultAtRisk = 0.8
	// DefaultQueryTimeout bounds each store or database call a page makes: 3 s. A store that
	// does not answer in time shows as unreachable.
	DefaultQueryTimeout = 3 * time.Second
)

// DeadLetters is what the dashboard needs of the dead-letter queue; *dlq.DB implements it.
type DeadLetters interface {
	List(ctx context.Context, f dlq.Filter) ([]dlq.Entry, error)
	Count(ctx context.Context, f dlq.Filter) (int64, error)
	Get(ctx context.Context, jobID string) (*dlq.Entry, error)
	Purge(ctx context.Context, olderThan int64) (int, error)
}

var _ DeadLetters = (*dlq.DB)(nil)

// Schedule is one cron schedule as the config page shows it.
type Schedule struct {
	Name      string    // e.g. "cleanup"
	Spec      string    // the cron expression, e.g. "0 2 * * *"
	Zone      string    // the time zone the Spec is read in, e.g. "UTC"
	Type      string    // the job type it enqueues
	Tier      slaq.Tier // the tier it enqueues into
	Missed    string    // the missed-tick policy, "skip" or "catch_up"
	LastRun   time.Time // the latest tick seen enqueued; zero: none yet
	LastID    string    // LastRun's job, linked from the page
	LastError string    // why the latest try to enqueue a tick failed; "" after a success
	NextRun   time.Time // zero: unknown
}

// clientSchedules lists c's schedules (slaq.Client.Schedules) for the config page.
func clientSchedules(c *slaq.Client) func(context.Context) ([]Schedule, error) {
	return func(context.Context) ([]Schedule, error) {
		list := c.Schedules()
		out := make([]Schedule, len(list))
		for i, s := range list {
			out[i] = Schedule{Name: s.Name, Spec: s.Spec, Zone: s.Zone, Type: s.Type, Tier: s.Tier, Missed: s.Missed.String(),
				LastRun: s.LastRun, LastID: s.LastID, LastError: s.LastError, NextRun: s.NextRun}
		}
		return out, nil
	}
}

// RateLimit is one job type's rate limit as the config page shows it.
type RateLimit struct {
	Type     string // the job type, e.g. "send_email"
	Tier     string // the tier the limit applies in, e.g. "MEDIUM"
	Limit    string // the limit for people, e.g. "50/1m0s (+5 burst)"
	NextFree string // when the next start is free, e.g. "now" or "in 1.2s"
	Deferred uint64 // fetches of this process the limit held back since start
}

// Options configure a [Handler]. Client and at least one token are required.
type Options struct {
	// Client reads metrics and jobs, pauses tiers, cancels jobs and retries or deletes dead
	// letters. Required.
	Client *slaq.Client
	// DeadLetters is the dead-letter queue to browse and purge (retries and deletes go through
	// Client, which must have the same queue as its Config.DeadLetters). Default: none, and
	// the dead-letter page says so.
	DeadLetters DeadLetters
	// Tokens are the admin tokens that sign in. Required: New fails without a non-empty one.
	Tokens []string
	// History feeds the charts; add it to the client's Config.Observers. Default: none, and
	// the tiers page shows no charts.
	History *History
	// Schedules lists the cron schedules for the config page. Default: the client's
	// (slaq.Client.Schedules, with the last runs this process saw); the panel says "No
	// schedules." when there are none.
	Schedules func(ctx context.Context) ([]Schedule, error)
	// RateLimits lists the rate limits for the config page. Default: none, and the page has
	// no rate-limits panel.
	RateLimits func(ctx context.Context) ([]RateLimit, error)
	// Path is the path the handler is mounted at, with a trailing slash. Default DefaultPath.
	Path string
	// RefreshInterval is how often the tiers table refreshes. Default
	// DefaultRefreshInterval; at most 5 s.
	RefreshInterval time.Duration
	// SessionLifetime is how long a sign-in lasts. Default DefaultSessionLifetime.
	SessionLifetime time.Duration
	// MaxSessions caps the sessions kept. Default DefaultMaxSessions.
	MaxSessions int
	// PageSize is how many rows a listing shows. Default DefaultPageSize; at most 1000.
	PageSize int
	// AtRisk is the share of a target at which a tier counts as at risk. Default
	// DefaultAtRisk.
	AtRisk float64
	// QueryTimeout bounds each store or database call. Default DefaultQueryTimeout.
	QueryTimeout time.Duration
	// Now tells the time. Default time.Now.
	Now func() time.Time
}

// Handler serves the dashboard. It is safe for concurrent use.
type Handler struct {
	opts     Options
	tokens   *tokenSet
	sessions *sessions
	pages    *pages
	mux      *http.ServeMux
	handler  http.Handler
}

// New returns the dashboard over opts, or an error when a required option is missing or one
// is out of range.
func New(opts Options) (*Handler, error) {
	if opts.Client == nil {
		return nil, errors.New("dashboard: Options.Client is required")
	}
	tokens, err := newTokenSet(opts.Tokens)
	if err != nil {
		return nil, err
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	h := &Handler{opts: opts, tokens: tokens, pages: pg, mux: http.NewServeMux(),
		sessions: newSessions(opts.SessionLifetime, opts.MaxSessions, opts.Now)}
	h.routes()
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.crossOrigin))
	h.handler = cop.Handler(h.mux)
	return h, nil
}

func (o *Options) defaults() error {
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if !strings.HasPrefix(o.Path, "/") || !strings.HasSuffix(o.Path, "/") {
		return errors.New("dashboard: Options.Path must start and end with /, e.g. /dashboard/")
	}
	if o.RefreshInterval <= 0 {
		o.RefreshInterval = DefaultRefreshInterval
	}
	if o.RefreshInterval > 5*time.Second {
		return errors.New("dashboard: Options.RefreshInterval must be at most 5s")
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = DefaultSessionLifetime
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	o.PageSize = min(o.PageSize, 1000)
	if o.AtRisk <= 0 || o.AtRisk >= 1 {
		o.AtRisk = DefaultAtRisk
	}
	if o.Schedules == nil {
		o.Schedules = clientSchedules(o.Client)
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = DefaultQueryTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// ServeHTTP serves the dashboard's pages, fragments and assets. Requests that change state
// and come from another origin answer 403.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	h.handler.ServeHTTP(w, r)
}

// routes registers every page behind the session check, except sign-in and the assets.
func (h *Handler) routes() {
	p := h.opts.Path
	h.mux.Handle("GET "+p+"static/", http.StripPrefix(p, staticFiles()))
	h.mux.HandleFunc("GET "+p+"login", h.loginPage)
	h.mux.HandleFunc("POST "+p+"login", h.login)
	h.mux.HandleFunc("POST "+p+"logout", h.logout)
	auth := func(pattern string, f func(http.ResponseWriter, *http.Request, *session)) {
		h.mux.HandleFunc(pattern, h.requireSession(f))
	}
	auth("GET "+p+"{$}", h.overview)
	auth("GET "+p+"fragments/tiers", h.tiersFragment)
	auth("POST "+p+"tiers/{tier}/{action}", h.pauseResume)
	auth("GET "+p+"jobs", h.jobs)
	auth("GET "+p+"jobs/lookup", h.lookup)
	auth("GET "+p+"jobs/{id}", h.job)
	auth("POST "+p+"jobs/{id}/cancel", h.cancel)
	auth("GET "+p+"dead-letters", h.deadLetters)
	auth("POST "+p+"dead-letters/retry", h.retryDeadLetters)
	auth("POST "+p+"dead-letters/delete", h.deleteDeadLetters)
	auth("POST "+p+"dead-letters/purge", h.purgeDeadLetters)
	auth("GET "+p+"config", h.config)
	h.mux.HandleFunc(p, h.requireSession(h.notFound))
}

// query returns a context bounded by QueryTimeout for one store or database call.
func (h *Handler) query(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), h.opts.QueryTimeout)
}
