package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/examples/fintech/internal/auth"
	"github.com/slaqhq/slaq/examples/fintech/internal/smtpsink"
)

// backends are the store and database pairs the end-to-end tests run on.
var backends = []string{"embedded", "redis+postgres"}

// opts shape a test service.
type opts struct {
	backend   string // "embedded" (default) or "redis+postgres"
	redisURL  string // overrides the Redis of "redis+postgres" (e.g. through a proxy)
	midway    func(ctx context.Context, j *slaq.Job)
	tiers     map[slaq.Tier]slaq.TierConfig
	log       io.Writer
	schedules bool // run the cron schedules (off by default: their jobs would count as queued)
}

// env is a running service with an SMTP sink, on a real loopback listener.
type env struct {
	t           *testing.T
	app         *App
	srv         *httptest.Server
	sink        *smtpsink.Sink
	user, admin string // JWTs of user1@example.com and admin@example.com
}

func newEnv(t *testing.T, o opts) *env {
	t.Helper()
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	logw := o.log
	if logw == nil {
		logw = io.Discard
	}
	cfg := Config{Development: true, DataDir: t.TempDir(), SMTPURL: sink.URL(), NoSchedules: !o.schedules, SeedUsers: 100,
		Tiers: o.tiers, Midway: o.midway, Logger: slog.New(slog.NewTextHandler(logw, nil)), BaseURL: "http://fintech.test"}
	switch o.backend {
	case "", "embedded":
	case "redis+postgres":
		cfg.RedisURL = o.redisURL
		if cfg.RedisURL == "" {
			cfg.RedisURL = redisURL(t)
		}
		cfg.DatabaseURL = postgresDSN(t)
	case "redis":
		cfg.RedisURL = o.redisURL
		if cfg.RedisURL == "" {
			cfg.RedisURL = redisURL(t)
		}
	default:
		t.Fatalf("unknown backend %q", o.backend)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		_ = a.Close()
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		srv.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Stop(sctx)
		_ = a.Close()
	})
	e := &env{t: t, app: a, srv: srv, sink: sink}
	if e.user, e.admin, err = a.DevTokens(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// do sends a request and decodes the JSON answer (nil when it is not JSON).
func (e *env) do(method, path, token, body string, hdr ...string) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	if out == nil {
		out = map[string]any{"_raw": string(b)}
	}
	return resp.StatusCode, out
}

// token signs a token for user id with role, valid for ttl (negative: already expired).
func (e *env) token(id int64, role string, ttl time.Duration) string {
	e.t.Helper()
	iss := *e.app.Auth
	if ttl < 0 {
		shift := 2 * ttl
		iss.Now = func() time.Time { return time.Now().Add(shift) }
		ttl = -ttl
	}
	s, err := iss.Sign(auth.User{ID: id, Role: role}, ttl)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// queued is how many jobs the service ever stored (every tier's total) plus those in the
// outbox: a request that queues nothing leaves it unchanged.
func (e *env) queued() int64 {
	e.t.Helper()
	m, err := e.app.Client.Metrics(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, tm := range m {
		n += tm.Total
	}
	ob, err := e.app.Outbox.Len(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n + int64(ob)
}

// waitFor polls cond every few ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitJob waits until job id is in state.
func (e *env) waitJob(id string, state slaq.State, d time.Duration) *slaq.Job {
	e.t.Helper()
	var j *slaq.Job
	waitFor(e.t, d, "job "+id+" to be "+string(state), func() bool {
		var err error
		j, err = e.app.Client.Job(context.Background(), id)
		return err == nil && j.State == state
	})
	return j
}

// need fails under CI=true, else skips, when a server the test needs is missing.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true: %v", what, err)
	}
	t.Skipf("SKIPPING: no %s (%v)", what, err)
}

var unique atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d_%d", prefix, os.Getpid(), time.Now().UnixNano(), unique.Add(1))
}

// redisURL returns a REDIS_URL with a fresh key prefix, whose keys are deleted at the end.
func redisURL(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("SLAQ_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	rc := redis.NewClient(&redis.Options{Addr: addr})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rc.Ping(ctx).Err(); err != nil {
		_ = rc.Close()
		need(t, "Redis at "+addr, err)
	}
	prefix := uniqueName("fintech")
	t.Cleanup(func() {
		defer rc.Close()
		ctx := context.Background()
		iter := rc.Scan(ctx, 0, "{"+prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			rc.Del(ctx, iter.Val())
		}
	})
	return "redis://" + addr + "?prefix=" + prefix
}

// postgresDSN returns a DATABASE_URL on a fresh schema, dropped at the end.
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SLAQ_TEST_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		need(t, "PostgreSQL", err)
	}
	schema := uniqueName("fintech")
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		_ = db.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// proxy is a TCP proxy whose link can be cut: the queue "unreachable" for real.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     bool
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, up: true}
	go p.serve()
	t.Cleanup(func() { _ = ln.Close(); p.setUp(false) })
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) setUp(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.conns = nil
	}
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if !p.up {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
		go func() { _, _ = io.Copy(c, u); _ = c.Close() }()
	}
}

// syncBuffer is a log writer tests read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func fmtWeek(y, w int) string { return fmt.Sprintf("%d-W%02d", y, w) }
