// Package loadtest is the fintech service's load command: the guide's load test (bursts of
// 100 concurrent forgot-password requests) and a mix of every route, against a service it
// runs in-process on a loopback listener with an in-process SMTP server, while a LOW export
// and a BATCH cleanup are held running. It prints each route's response-time percentiles
// and each tier's pickup latency.
package loadtest

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"

	"github.com/slaqhq/slaq/examples/fintech/internal/app"
	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
	"github.com/slaqhq/slaq/examples/fintech/internal/smtpsink"
)

// Options shape a run; the zero value of a field takes the default named beside it.
type Options struct {
	Burst             int           // requests per forgot-password burst; default DefaultBurst
	Rounds            int           // bursts; default DefaultRounds
	Clients           int           // concurrent clients of the mixed phase; default DefaultClients
	Duration          time.Duration // length of the mixed phase; default DefaultDuration
	DataDir           string        // where the service keeps its files; default a fresh temporary folder
	LedgerSynchronous string        // the SQLite ledger's synchronous setting; default FULL
	RedisURL          string        // the store; default the embedded store (REDIS_URL: keys under a fresh prefix, left behind)
}

// Defaults of Options.
const (
	DefaultBurst    = 100 // the guide's burst
	DefaultRounds   = 5
	DefaultClients  = 4
	DefaultDuration = 3 * time.Second
	// RoundPause is the pause between bursts, so each burst starts on an idle service.
	RoundPause = 200 * time.Millisecond
)

// Main parses args and runs the load, printing to out.
func Main(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(out)
	var o Options
	fs.IntVar(&o.Burst, "burst", DefaultBurst, "concurrent forgot-password requests per burst")
	fs.IntVar(&o.Rounds, "rounds", DefaultRounds, "bursts")
	fs.IntVar(&o.Clients, "clients", DefaultClients, "concurrent clients in the mixed phase (every route)")
	fs.DurationVar(&o.Duration, "duration", DefaultDuration, "length of the mixed phase")
	fs.StringVar(&o.LedgerSynchronous, "ledger-synchronous", "", "the SQLite ledger's synchronous setting: FULL (default), NORMAL or EXTRA")
	fs.StringVar(&o.DataDir, "data", "", "data folder (default: a fresh temporary one, removed after)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.RedisURL = os.Getenv("REDIS_URL")
	return Run(ctx, o, out)
}

// sample is one request's outcome.
type sample struct {
	route string
	d     time.Duration
	ok    bool
}

// recorder collects samples by route.
type recorder struct {
	mu    sync.Mutex
	by    map[string][]time.Duration
	errs  map[string]int
	order []string
}

func (r *recorder) add(s sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.by[s.route]; !ok {
		r.order = append(r.order, s.route)
	}
	r.by[s.route] = append(r.by[s.route], s.d)
	if !s.ok {
		r.errs[s.route]++
	}
}

// Run runs the load with o and prints the results.
func Run(ctx context.Context, o Options, out io.Writer) error {
	o = withDefaults(o)
	dir := o.DataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "fintech-load-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	sink, err := smtpsink.Start()
	if err != nil {
		return err
	}
	defer sink.Close()
	release := make(chan struct{})
	held := make(chan string, 2)
	cfg := app.Config{Development: true, DataDir: dir, SMTPURL: sink.URL(), NoSchedules: true, SeedUsers: o.Burst,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: "http://fintech.load", LedgerSynchronous: o.LedgerSynchronous,
		Midway: func(ctx context.Context, j *slaq.Job) {
			held <- j.Type
			select {
			case <-release:
			case <-ctx.Done():
			}
		}}
	if o.RedisURL != "" {
		cfg.RedisURL = o.RedisURL + sep(o.RedisURL) + fmt.Sprintf("prefix=fintech_load_%d", time.Now().UnixNano())
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Start(ctx); err != nil {
		return err
	}
	stopApp := func() { _ = a.Stop(context.Background()) }
	defer func() { stopApp() }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	l := &load{o: o, a: a, base: base, rec: &recorder{by: map[string][]time.Duration{}, errs: map[string]int{}},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(o.Burst, o.Clients), MaxIdleConns: 1000}, Timeout: 10 * time.Second}}
	defer l.client.CloseIdleConnections()
	if err := l.prepare(ctx); err != nil {
		return err
	}
	for range 2 {
		select {
		case <-held:
		case <-time.After(10 * time.Second):
			return errors.New("the LOW export and the BATCH cleanup did not start")
		}
	}
	fmt.Fprintf(out, "fintech load: %d bursts of %d concurrent forgot-password requests, then %s of every route with %d clients,\n"+
		"while a LOW export and a BATCH cleanup run (store: %s; ledger synchronous %s; %d CPUs, shared with whatever else runs)\n\n",
		o.Rounds, o.Burst, o.Duration, o.Clients, map[bool]string{true: "Redis", false: "embedded"}[o.RedisURL != ""],
		cmp.Or(o.LedgerSynchronous, ledger.DefaultSynchronous), numCPU())

	bursts, err := l.bursts(ctx, sink)
	if err != nil {
		return err
	}
	l.mixed(ctx)
	m, err := a.Client.Metrics(ctx)
	if err != nil {
		return err
	}
	close(release)

	fmt.Fprintln(out, "the guide's burst (all answered / all queued / all emails delivered):")
	for i, b := range bursts {
		fmt.Fprintf(out, "  burst %d: %s / %s / %s\n", i+1, ms(b[0]), ms(b[1]), ms(b[2]))
	}
	fmt.Fprintf(out, "\n%-44s %8s %6s %8s %8s %8s %8s\n", "route", "requests", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms")
	worst := 0.0
	for _, r := range l.rec.order {
		d := l.rec.by[r]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		p99 := pct(d, 0.99)
		worst = max(worst, p99)
		fmt.Fprintf(out, "%-44s %8d %6d %8.2f %8.2f %8.2f %8.2f\n", r, len(d), l.rec.errs[r], pct(d, 0.5), pct(d, 0.9), p99, pct(d, 1))
	}
	fmt.Fprintf(out, "\n%-9s %7s %8s %8s %8s %8s %8s %10s\n", "tier", "picked", "target", "p50 ms", "p95 ms", "p99 ms", "max ms", "within")
	for _, t := range store.Tiers {
		s := m[t.String()].Latency
		target := "-"
		if s.SLA > 0 {
			target = time.Duration(s.SLA * float64(time.Millisecond)).String()
		}
		fmt.Fprintf(out, "%-9s %7d %8s %8.2f %8.2f %8.2f %8.2f %9.1f%%\n", t, s.Picked, target, s.P50, s.P95, s.P99, s.Max, 100*s.WithinSLA)
	}
	fmt.Fprintln(out, "(HIGH and MEDIUM pickups include the wait for their rate limits, webhooks 100/min and email 50/min,\n which the mixed phase exceeds on purpose: held jobs wait without holding a worker.)")
	fmt.Fprintf(out, "\nworst route p99: %.2f ms (target ≤ 5 ms; the guide claims < 50 ms)\n", worst)
	return nil
}

func withDefaults(o Options) Options {
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.Rounds <= 0 {
		o.Rounds = DefaultRounds
	}
	if o.Clients <= 0 {
		o.Clients = DefaultClients
	}
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	return o
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// pct is the nearest-rank percentile of sorted d, in ms.
func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	i := int(p*float64(len(d))+0.999999) - 1
	i = min(max(i, 0), len(d)-1)
	return float64(d[i].Microseconds()) / 1000
}
