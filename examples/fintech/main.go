// Command fintech is slaq's reference service: the guide's fintech backend (password resets,
// one-time codes, payments, the Cryptomus and NOWPayments webhooks, support email, reports,
// exports, log cleanup and the weekly newsletter) on slaq, through slaq's public API only.
//
//	go run ./examples/fintech              # serve on 127.0.0.1:4000, embedded store in ./fintech-data
//	go run ./examples/fintech load         # the guide's load test against an in-process service
//	go run ./examples/fintech token -user 1 -role admin   # mint a bearer token (needs JWT_SECRET)
//
// See examples/fintech/README.md for the routes and the configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // SCHEDULE_ZONE works where no zone database is installed

	"github.com/slaqhq/slaq/examples/fintech/internal/app"
	"github.com/slaqhq/slaq/examples/fintech/internal/auth"
	"github.com/slaqhq/slaq/examples/fintech/internal/loadtest"
)

// Shutdown settings of serve.
const (
	// ReadHeaderTimeout bounds how long a client may take to send its request headers: 5 s.
	ReadHeaderTimeout = 5 * time.Second
	// ShutdownGrace is how long in-flight requests and running jobs get on SIGTERM: 30 s.
	ShutdownGrace = 30 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fintech:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, out)
	case "load":
		return loadtest.Main(ctx, args, out)
	case "token":
		return token(args, out)
	}
	return fmt.Errorf("unknown command %q: want serve, load or token", cmd)
}

func serve(ctx context.Context, out io.Writer) error {
	cfg, err := app.FromEnv()
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	if err := printStart(ctx, a, ln.Addr().String(), out); err != nil {
		_ = a.Stop(context.Background())
		return err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: ReadHeaderTimeout}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		_ = a.Stop(context.Background())
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "fintech: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	err = errors.Join(srv.Shutdown(sctx), a.Stop(sctx))
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func printStart(ctx context.Context, a *app.App, addr string, out io.Writer) error {
	c := a.Cfg
	store := "embedded store in " + c.DataDir + "/slaq.db"
	if c.RedisURL != "" {
		store = "Redis"
	}
	fmt.Fprintf(out, "fintech: listening on http://%s (%s; ledger %s)\n", addr, store, map[bool]string{true: "on PostgreSQL", false: "in " + c.DataDir + "/ledger.db"}[a.Ledger.Postgres()])
	fmt.Fprintf(out, "fintech: dashboard http://%s/dashboard/  metrics http://%s/metrics\n", addr, addr)
	if !c.Development {
		return nil
	}
	user, admin, err := a.DevTokens(ctx)
	if err != nil {
		return err
	}
	mail := "mail goes to " + c.DataDir + "/outbox/*.eml"
	if c.SMTPURL != "" {
		mail = "mail goes to SMTP_URL"
	}
	fmt.Fprintf(out, "fintech: development: %d demo users (user1@example.com … user%d@example.com, admin@example.com); %s\n", c.SeedUsers, c.SeedUsers, mail)
	fmt.Fprintf(out, "export ADMIN_TOKEN=%s   # slaq's admin API and the dashboard sign-in\n", c.AdminToken)
	fmt.Fprintf(out, "export USER_JWT=%s\n", user)
	fmt.Fprintf(out, "export ADMIN_JWT=%s\n", admin)
	fmt.Fprintf(out, "export JWT_SECRET=%s CRYPTOMUS_API_KEY=%s NOWPAYMENTS_IPN_SECRET=%s\n", c.JWTSecret, c.CryptomusKey, c.NOWPaymentsSecret)
	return nil
}

// token mints a bearer token with JWT_SECRET.
func token(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	user := fs.Int64("user", 1, "user id (the token's subject)")
	role := fs.String("role", "user", "role: user or admin")
	ttl := fs.Duration("ttl", auth.DefaultTTL, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	iss, err := auth.New(os.Getenv("JWT_SECRET"))
	if err != nil {
		return err
	}
	t, err := iss.Sign(auth.User{ID: *user, Role: *role}, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, t)
	return nil
}
