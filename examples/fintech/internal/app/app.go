package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
	"github.com/slaqhq/slaq/dashboard"
	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/prom"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/redisstore"
	"github.com/slaqhq/slaq/store/sqlitestore"

	"github.com/slaqhq/slaq/examples/fintech/internal/api"
	"github.com/slaqhq/slaq/examples/fintech/internal/auth"
	"github.com/slaqhq/slaq/examples/fintech/internal/jobs"
	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
	"github.com/slaqhq/slaq/examples/fintech/internal/mail"
)

// App is the running service's parts.
type App struct {
	Cfg     Config
	Ledger  *ledger.DB
	Store   store.Store
	Dead    *dlq.DB
	Outbox  *outbox.Outbox
	Client  *slaq.Client
	Queue   jobs.Queue
	Workers *jobs.Workers
	Auth    *auth.Issuer
	Metrics *prom.Exporter
	// Handler serves everything: the guide's routes, /api/jobs/* (slaq's admin API),
	// /dashboard/, /metrics and /healthz.
	Handler http.Handler

	closers []func() error
}

// New opens everything cfg names and builds the handler; Start runs the workers.
func New(ctx context.Context, cfg Config) (a *App, err error) {
	if err := cfg.complete(); err != nil {
		return nil, err
	}
	a = &App{Cfg: cfg}
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()
	ledgerDSN, deadDSN := cfg.path("ledger.db"), cfg.path("slaq.db")
	if ledger.IsPostgres(cfg.DatabaseURL) {
		ledgerDSN, deadDSN = cfg.DatabaseURL, cfg.DatabaseURL
	} else if cfg.DatabaseURL != "" {
		return nil, errors.New("DATABASE_URL: want a postgres:// URL (leave it unset for SQLite files in DATA_DIR)")
	}
	if a.Ledger, err = ledger.Open(ctx, ledgerDSN, ledger.Options{Synchronous: cfg.LedgerSynchronous}); err != nil {
		return nil, err
	}
	a.Ledger.Now = cfg.Now
	a.closers = append(a.closers, a.Ledger.Close)
	if a.Store, err = openStore(ctx, cfg); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Store.Close)
	if a.Dead, err = dlq.Open(ctx, deadDSN); err != nil {
		return nil, fmt.Errorf("dead-letter queue: %w", err)
	}
	a.closers = append(a.closers, a.Dead.Close)
	if a.Outbox, err = outbox.New(ctx, a.Ledger.Writer(), outbox.Options{Migrate: true}); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	if a.Auth, err = auth.New(cfg.JWTSecret); err != nil {
		return nil, err
	}
	a.Auth.Now = cfg.Now
	if cfg.SMTPURL == "" && !cfg.Development {
		return nil, errors.New("SMTP_URL is required outside development")
	}
	sender, err := mail.New(cfg.SMTPURL, cfg.path("outbox"), cfg.MailFrom)
	if err != nil {
		return nil, err
	}
	if cfg.SeedUsers > 0 {
		if err := a.Ledger.SeedUsers(ctx, cfg.SeedUsers); err != nil {
			return nil, err
		}
	}

	a.Workers = &jobs.Workers{Ledger: a.Ledger, Mail: sender, Files: cfg.path("files"), BaseURL: cfg.BaseURL,
		CryptomusKey: cfg.CryptomusKey, NOWPaymentsSecret: cfg.NOWPaymentsSecret, Log: cfg.Logger, Midway: cfg.Midway, Now: cfg.Now}
	mux := slaq.NewServeMux()
	a.Workers.Register(mux)
	a.Metrics = prom.New(prom.Options{Types: typeNames()})
	direct := newDirectCounter(a.Metrics, cfg.Logger)
	hist := dashboard.NewHistory(dashboard.HistoryOptions{})
	a.Client, err = slaq.New(a.Store, slaq.Config{
		Handler: mux, DeadLetters: a.Dead, Outbox: a.Outbox,
		Types: jobs.Types(), RateLimits: jobs.RateLimits(), Tiers: cfg.Tiers, Schedules: schedules(cfg),
		Observers: []slaq.Observer{a.Metrics, hist, direct}, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	a.Metrics.Watch(a.Client)
	a.Queue = jobs.Queue{C: a.Client}
	a.Workers.Queue = a.Queue

	a.Handler, err = a.routes(hist)
	if err != nil {
		return nil, err
	}
	return a, nil
}

func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.RedisURL == "" {
		return sqlitestore.Open(ctx, cfg.path("slaq.db"), sqlitestore.Options{})
	}
	opts, err := redisstore.FromEnv()
	if cfg.RedisURL != "redis://" {
		opts, err = redisstore.ParseURL(cfg.RedisURL)
	}
	if err != nil {
		return nil, err
	}
	return redisstore.New(ctx, opts)
}

func typeNames() []string {
	var out []string
	for t := range jobs.Types() {
		out = append(out, t)
	}
	return out
}

func (a *App) routes(hist *dashboard.History) (http.Handler, error) {
	tokens := []string{a.Cfg.AdminToken}
	adm, err := admin.New(admin.Options{Client: a.Client, DeadLetters: a.Dead, Tokens: tokens,
		Development: a.Cfg.Development, JobTypes: typeNames()})
	if err != nil {
		return nil, err
	}
	dash, err := dashboard.New(dashboard.Options{Client: a.Client, DeadLetters: a.Dead, Tokens: tokens, History: hist,
		RateLimits: dashboardRateLimits(a.Client)})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	srv := &api.Server{Ledger: a.Ledger, Client: a.Client, Queue: a.Queue, Workers: a.Workers, Auth: a.Auth,
		CryptomusKey: a.Cfg.CryptomusKey, NOWPaymentsSecret: a.Cfg.NOWPaymentsSecret, Log: a.Cfg.Logger}
	srv.Register(mux)
	bridged := adminBridge(a.Auth, a.Cfg.AdminToken, adm)
	mux.Handle("/api/jobs", bridged)
	mux.Handle("/api/jobs/", bridged)
	mux.Handle(dashboard.DefaultPath, dash)
	mux.Handle("GET /{$}", http.RedirectHandler(dashboard.DefaultPath, http.StatusFound))
	mux.Handle("GET /metrics", a.Metrics.Handler())
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.Handle("/", api.NotFound())
	return mux, nil
}

// Start runs the workers, the outbox forwarder and the schedules (all slaq's).
func (a *App) Start(ctx context.Context) error { return a.Client.Start(ctx) }

// Stop shuts the client down gracefully: the schedules stop, running jobs finish within
// slaq's grace period, the rest are handed back.
func (a *App) Stop(ctx context.Context) error { return a.Client.Stop(ctx) }

// Close closes the databases and the store; call it after Stop.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// healthz answers 200 when the store, the dead-letter queue and the ledger answer and the
// client is not degraded, else 503 with what is wrong.
func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"status": "ok", "degraded": a.Client.Degraded(), "durable": a.Client.DurableStats()}
	code := http.StatusOK
	if err := a.Client.Ping(r.Context()); err != nil {
		out["status"], out["queue"], code = "degraded", err.Error(), http.StatusServiceUnavailable
	}
	if err := a.Ledger.Ping(r.Context()); err != nil {
		out["status"], out["ledger"], code = "degraded", err.Error(), http.StatusServiceUnavailable
	}
	if a.Client.Degraded() && code == http.StatusOK {
		out["status"] = "degraded"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = jsonEncode(w, out)
}

// DevTokens returns a user token (user1@example.com) and an admin token
// (admin@example.com) for trying the routes, valid for DevTokenTTL.
func (a *App) DevTokens(ctx context.Context) (user, adminTok string, err error) {
	u, err := a.Ledger.UserByEmail(ctx, "user1@example.com")
	if err != nil {
		return "", "", err
	}
	ad, err := a.Ledger.UserByEmail(ctx, "admin@example.com")
	if err != nil {
		return "", "", err
	}
	if user, err = a.Auth.Sign(auth.User{ID: u.ID, Role: u.Role}, DevTokenTTL); err != nil {
		return "", "", err
	}
	adminTok, err = a.Auth.Sign(auth.User{ID: ad.ID, Role: ad.Role}, DevTokenTTL)
	return user, adminTok, err
}
