package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/slaqhq/slaq/internal/server"
)

// serveFlags are `slaq serve`'s own flags; each overrides the file and the environment.
type serveFlags struct {
	addr              string
	port              int
	grace             time.Duration
	drainDelay        time.Duration
	workers           bool
	readHeaderTimeout time.Duration
	readTimeout       time.Duration
	writeTimeout      time.Duration
	idleTimeout       time.Duration
	logLevel          string
}

func newServeCmd(g *globalFlags) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the admin API (and, in development, workers) over a store",
		Long: `serve runs slaq's admin API (/api/jobs/...), /healthz and /readyz.

With nothing set it runs in development on the embedded store in ./slaq-data (slaq.db, and the
dead letters in dead-letters.db beside it), binds 127.0.0.1:4000 only, makes up an admin token
and prints it, serves the guide's test routes (POST /api/jobs/test/otp, /test/report) and runs
workers with built-in handlers for them, so their jobs complete.

Outside development (SLAQ_ENV=production, or any value but "development") it needs
ADMIN_TOKEN (comma-separated for several; refuses to start without), binds every interface
(:PORT), and runs no workers unless --workers: it is the admin API, and applications run
their own workers. Either way it fires the config file's schedules: every replica does, and
each tick's job is stored once (GET /api/jobs/schedules lists them with last and next run).

Configuration, later overriding earlier: defaults, the YAML file (--config or SLAQ_CONFIG:
tiers, job_types, schedules, and any setting below), the environment (SLAQ_ENV, PORT,
ADMIN_TOKEN, REDIS_URL or REDIS_HOST/REDIS_PORT/REDIS_PASSWORD, DATABASE_URL, SLAQ_DATA_DIR,
SLAQ_SHUTDOWN_GRACE), then flags.

On SIGTERM or SIGINT, /readyz turns 503 at once; after --drain-delay the listener closes,
in-flight requests and running jobs get --grace to finish, and serve exits 0. A second signal
exits at once with code 5.`,
		Example: `  slaq serve
  ADMIN_TOKEN=s3cret SLAQ_ENV=production REDIS_URL=redis://10.0.0.5:6379 DATABASE_URL=postgres://slaq@db/slaq slaq serve
  slaq serve --config slaq.yaml --port 8080`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "", "listen address host:port (default 127.0.0.1:PORT in development, :PORT otherwise)")
	fl.IntVar(&f.port, "port", 0, "port (default: PORT, else 4000)")
	fl.DurationVar(&f.grace, "grace", 0, "how long a shutdown lets requests and jobs finish (default: SLAQ_SHUTDOWN_GRACE, else 30s)")
	fl.DurationVar(&f.drainDelay, "drain-delay", 0, "how long to keep serving, unready, after a stop signal (default 0)")
	fl.BoolVar(&f.workers, "workers", false, "run workers with the development handlers (default: on in development only)")
	fl.DurationVar(&f.readHeaderTimeout, "read-header-timeout", 0, "cut off a client that has not sent its headers by then (default 5s)")
	fl.DurationVar(&f.readTimeout, "read-timeout", 0, "bound on reading a request (default 30s)")
	fl.DurationVar(&f.writeTimeout, "write-timeout", 0, "bound on writing a response (default 30s)")
	fl.DurationVar(&f.idleTimeout, "idle-timeout", 0, "close keep-alive connections idle this long (default 2m0s)")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

func runServe(cmd *cobra.Command, g *globalFlags, f serveFlags) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usageErr("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	// Count signals here: the first stops gracefully (through ctx), the second exits now.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	go func() {
		select {
		case s := <-sigs:
			log.Info("signal: shutting down gracefully; send it again to exit at once", "signal", s.String())
			cancel()
		case <-ctx.Done():
			return
		}
		if s, ok := <-sigs; ok {
			log.Error("second signal: exiting before the graceful shutdown ended", "signal", s.String())
			os.Exit(exitForced)
		}
	}()

	cfg, err := g.loadConfig(cmd, f.apply(cmd))
	if err != nil {
		return err
	}
	if err := cfg.RequireToken(); err != nil {
		return usageErr("%v", err)
	}
	s, err := server.New(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.Run(ctx, cmd.OutOrStdout())
}

// apply copies the serve flags given on the command line into the configuration.
func (f serveFlags) apply(cmd *cobra.Command) func(*server.Config) error {
	return func(cfg *server.Config) error {
		changed := cmd.Flags().Changed
		if changed("port") {
			if f.port < 0 || f.port > 65535 {
				return usageErr("--port %d: want 0-65535", f.port)
			}
			cfg.Port = f.port
		}
		if changed("addr") {
			cfg.Addr = f.addr
		}
		for _, d := range []struct {
			name string
			dst  *time.Duration
			v    time.Duration
		}{
			{"grace", &cfg.ShutdownGrace, f.grace}, {"drain-delay", &cfg.DrainDelay, f.drainDelay},
			{"read-header-timeout", &cfg.ReadHeaderTimeout, f.readHeaderTimeout}, {"read-timeout", &cfg.ReadTimeout, f.readTimeout},
			{"write-timeout", &cfg.WriteTimeout, f.writeTimeout}, {"idle-timeout", &cfg.IdleTimeout, f.idleTimeout},
		} {
			if changed(d.name) {
				if d.v < 0 {
					return usageErr("--%s must not be negative", d.name)
				}
				*d.dst = d.v
			}
		}
		if changed("workers") {
			cfg.Workers = &f.workers
		}
		return nil
	}
}
