package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
	"github.com/slaqhq/slaq/dashboard"
)

// Server is `slaq serve`: the admin API and the dashboard over a store, with health checks, the
// config file's schedules (fired by every replica, each tick's job stored once) and, in
// development, workers running the built-in test handlers.
type Server struct {
	cfg     Config
	log     *slog.Logger
	backend *Backend
	client  *slaq.Client
	handler http.Handler
	token   string // the generated development token, "" when tokens were given
	workers bool

	mux      *http.ServeMux
	routes   []Route // what mux serves, for Routes
	ops      *ops
	history  *dashboard.History // the dashboard's charts, fed by the job events
	stopping atomic.Bool
}

// New opens what cfg (resolved with [Config.Resolve]) names and builds the server. Close it
// with Run's return, or with Close if Run is never called.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, log: log}
	tokens := cfg.Tokens
	if len(tokens) == 0 {
		if err := cfg.RequireToken(); err != nil {
			return nil, err
		}
		s.token = randomToken()
		tokens = []string{s.token}
	}
	b, err := Open(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	s.backend = b
	ccfg := cfg.ClientConfig()
	ccfg.DeadLetters = b.DeadLetters
	ccfg.Spool, ccfg.Outbox = b.Spool, b.Outbox
	ccfg.Logger = log
	if cfg.Development() {
		if _, declared := ccfg.Types[admin.TestOTPType]; !declared {
			if ccfg.Types == nil {
				ccfg.Types = map[string]slaq.TypeConfig{}
			}
			ccfg.Types[admin.TestOTPType] = slaq.TypeConfig{Sensitive: []string{"code"}} // the one-time code is a secret
		}
	}
	history := dashboard.NewHistory(dashboard.HistoryOptions{})
	s.history = history
	ccfg.Observers = append(ccfg.Observers, history)
	s.workers = cfg.Workers != nil && *cfg.Workers
	if s.workers {
		mux := devHandlers(log)
		if err := registerTargets(mux, cfg.Types); err != nil {
			b.Close()
			return nil, err
		}
		ccfg.Handler = mux
	}
	ops, err := newOps(cfg, b, log, func(j *slaq.Job) *slaq.Job { return s.client.RedactJob(j) })
	if err != nil {
		b.Close()
		return nil, err
	}
	s.ops = ops
	ccfg.Observers = append(ccfg.Observers, ops.observers()...)
	if s.client, err = slaq.New(b.Store, ccfg); err != nil {
		b.Close()
		return nil, fmt.Errorf("client: %w", err)
	}
	ops.metrics.Watch(s.client)
	var types []string
	if len(cfg.Types) > 0 {
		for name := range cfg.Types {
			types = append(types, name)
		}
		if cfg.Development() {
			types = append(types, admin.TestOTPType, admin.TestReportType)
		}
	}
	api, err := admin.New(admin.Options{Client: s.client, DeadLetters: b.DeadLetters, Tokens: tokens,
		Development: cfg.Development(), JobTypes: types, MaxPayloadBytes: cfg.MaxPayloadBytes})
	if err != nil {
		b.Close()
		return nil, err
	}
	dash, err := dashboard.New(dashboard.Options{Client: s.client, DeadLetters: b.DeadLetters, Tokens: tokens,
		History: history, RateLimits: dashboardRateLimits(s.client)})
	if err != nil {
		b.Close()
		return nil, err
	}
	metrics := ops.metrics.Handler()
	if !cfg.metricsPublic() {
		if metrics, err = admin.RequireToken(tokens, metrics); err != nil {
			b.Close()
			return nil, err
		}
	}
	s.mux = http.NewServeMux()
	s.route("GET /healthz", http.HandlerFunc(s.healthz), nil)
	s.route("GET /readyz", http.HandlerFunc(s.readyz), nil)
	s.route("GET /metrics", metrics, nil)
	s.route("GET /{$}", http.RedirectHandler(dashboard.DefaultPath, http.StatusFound), nil)
	s.route(dashboard.DefaultPath, dash, routesOf(dash.Routes(), func(r dashboard.Route) Route {
		return Route{Method: r.Method, Pattern: r.Pattern, Public: r.Public}
	}))
	s.route("/", api, routesOf(api.Routes(), func(r admin.Route) Route { return Route{Method: r.Method, Pattern: r.Pattern} }))
	s.handler = s.mux
	return s, nil
}

// Route is one route of the server's whole handler, for documentation and tests.
type Route struct {
	Method  string // e.g. "GET"; "" matches every method
	Pattern string // net/http pattern path, e.g. "/api/jobs/{id}"
	// Public is true for the dashboard's sign-in, sign-out and assets, which need no session;
	// the server's own routes leave it false (see Routes).
	Public bool
}

// route registers h at pattern on the server's mux. Every route goes through here, so that
// Routes lists what the server serves: a handler that serves a subtree (the dashboard, the
// admin API) names its own routes in sub; others are one route themselves.
func (s *Server) route(pattern string, h http.Handler, sub []Route) {
	s.mux.Handle(pattern, h)
	if sub != nil {
		s.routes = append(s.routes, sub...)
		return
	}
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	s.routes = append(s.routes, Route{Method: method, Pattern: path})
}

func routesOf[T any](rs []T, f func(T) Route) []Route {
	out := make([]Route, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// Routes lists every route the server's handler serves: /healthz, /readyz, /metrics, the
// redirect of /, the dashboard's routes and the admin API's, in registration order. Which
// of them answer without credentials: /healthz and /readyz, the redirect, the dashboard's
// public routes, and /metrics when MetricsPublic.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Handler is the server's whole HTTP handler: /healthz, /readyz, /metrics, the dashboard
// under /dashboard/ (/ redirects there) and the admin API.
func (s *Server) Handler() http.Handler { return s.handler }

// Client is the server's slaq client.
func (s *Server) Client() *slaq.Client { return s.client }

// Backend is what the server opened.
func (s *Server) Backend() *Backend { return s.backend }

// Close releases the store and the dead-letter queue; Run does it on its way out.
func (s *Server) Close() error {
	return errors.Join(s.ops.alerts.Close(context.Background()), s.backend.Close())
}

// Run listens on the configured address, prints where it listens and where its data lives to
// out, serves until ctx is done, then shuts down gracefully: readiness turns false at once,
// the listener closes after DrainDelay, in-flight requests and running jobs get until
// ShutdownGrace, and the store and dead-letter queue close. It returns nil after a clean
// shutdown.
func (s *Server) Run(ctx context.Context, out io.Writer) error {
	defer s.Close()
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	// Without workers, the client still fires the schedules and forwards the outbox and spool.
	started := s.workers || len(s.cfg.Schedules) > 0 || s.backend.Spool != nil || s.backend.Outbox != nil
	if started {
		if err := s.client.Start(ctx); err != nil {
			ln.Close()
			return fmt.Errorf("start workers: %w", err)
		}
	}
	s.banner(out, ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	s.log.Info("stopping: readiness off", "drain_delay", s.cfg.DrainDelay, "grace", s.cfg.ShutdownGrace)
	if s.cfg.DrainDelay > 0 {
		time.Sleep(s.cfg.DrainDelay) // keep serving, unready, while load balancers notice
	}
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownGrace)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(grace); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		srv.Close()
	}
	if started {
		if err := s.client.Stop(grace); err != nil {
			errs = append(errs, fmt.Errorf("stop workers: %w", err))
		}
	}
	if err := s.ops.alerts.Close(grace); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.log.Info("stopped")
	return nil
}

// banner prints where the server listens, where its data lives and how to call it.
func (s *Server) banner(w io.Writer, addr string) {
	var out bytes.Buffer // written in one Write, so a reader never sees half a banner
	defer func() { _, _ = w.Write(out.Bytes()) }()
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	url := "http://" + net.JoinHostPort(host, port)
	mode := s.cfg.Env
	fmt.Fprintf(&out, "slaq serve: listening on %s (%s, bound to %s)\n", url, mode, addr)
	fmt.Fprintf(&out, "  store:        %s\n", s.backend.StoreDesc)
	fmt.Fprintf(&out, "  dead letters: %s\n", s.backend.DLQDesc)
	if s.backend.Spool != nil {
		fmt.Fprintf(&out, "  spool:        %s (enqueues while the store is down)\n", s.backend.SpoolDesc)
	}
	if s.backend.Outbox != nil {
		fmt.Fprintf(&out, "  outbox:       %s (forwarded into the store)\n", s.backend.OutboxDesc)
	}
	token := "$ADMIN_TOKEN"
	if s.token != "" {
		token = s.token
		fmt.Fprintf(&out, "  admin token:  %s (made up for this run; set ADMIN_TOKEN to choose one)\n", s.token)
	} else {
		fmt.Fprintf(&out, "  admin token:  from ADMIN_TOKEN (%d accepted)\n", len(s.cfg.Tokens))
	}
	if s.workers {
		types := devHandlers(s.log).Types()
		sort.Strings(types)
		fmt.Fprintf(&out, "  workers:      on, running the development handlers (%s)\n", strings.Join(types, ", "))
	} else {
		fmt.Fprintf(&out, "  workers:      off (this server is the admin API; your application runs the workers)\n")
	}
	for i, sc := range s.client.Schedules() {
		label := "  schedules:    "
		if i > 0 {
			label = "                "
		}
		fmt.Fprintf(&out, "%s%s: %s %q (%s, %s), next %s\n", label, sc.Name, sc.Type, sc.Spec, sc.Zone, sc.Tier,
			sc.NextRun.Format(time.RFC3339))
	}
	fmt.Fprintf(&out, "  dashboard:    %s%s (sign in with the admin token)\n", url, dashboard.DefaultPath)
	if s.cfg.metricsPublic() {
		fmt.Fprintf(&out, "  metrics:      %s/metrics (public)\n", url)
	} else {
		fmt.Fprintf(&out, "  metrics:      %s/metrics (admin token required; metrics: {public: true} in the config file to open it)\n", url)
	}
	fmt.Fprintf(&out, "  try:          curl -H \"Authorization: Bearer %s\" %s/api/jobs/metrics\n", token, url)
	if s.cfg.Development() {
		fmt.Fprintf(&out, "                curl -X POST -H \"Authorization: Bearer %s\" %s/api/jobs/test/otp\n", token, url)
	}
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "dev-" + hex.EncodeToString(b[:])
}
