package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dashboard"
	"github.com/slaqhq/slaq/httptarget"
	"github.com/slaqhq/slaq/internal/testenv"
)

// recorded keeps what a local stand-in received.
type recorded struct {
	mu     sync.Mutex
	bodies []string
}

func (r *recorded) add(b string) {
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
}

func (r *recorded) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// TestSecretsNeverShown runs `slaq serve` in production, configured as an operator would
// (a config file and the environment), with every secret it knows set: the admin token, a
// Redis password (a redis-server of the test's own with requirepass), a PostgreSQL password,
// SENTRY_DSN (a local stand-in), an HTTP target's signing secret and the SMTP password
// (a local SMTP sink with AUTH), plus a payload field marked sensitive. It makes every kind
// of thing happen (jobs completed and dead-lettered, alerts sent by email, to Sentry and to
// the log, bad requests), then reads every GET route of the server, dashboard and API,
// with the right credentials, and checks that no secret appears in any answer, header, log
// line or the banner. Each secret is also checked to have been used.
func TestSecretsNeverShown(t *testing.T) {
	secrets := map[string]string{
		"ADMIN_TOKEN":        "admintok-SECRET-a1b2c3d4",
		"REDIS_PASSWORD":     "redispw-SECRET-e5f6a7b8",
		"database password":  "dbpw-SECRET-c9d0e1f2",
		"SENTRY_DSN key":     "sentrykeySECRET3a4b5c6d",
		"target secret":      "targetsecret-SECRET-7e8f9a0b",
		"SMTP password":      "smtppw-SECRET-1c2d3e4f",
		"sensitive field":    "resettoken-SECRET-5a6b7c8d",
		"sensitive (global)": "globalpw-SECRET-9e0f1a2b",
	}
	redisAddr := testenv.StartRedis(t, "--requirepass", secrets["REDIS_PASSWORD"])
	host, port, _ := strings.Cut(redisAddr, ":")
	sink := testenv.NewSMTPSink(t, "slaq", secrets["SMTP password"])

	var sentryGot recorded
	sentrySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sentryGot.add(string(b))
		w.WriteHeader(http.StatusOK)
	}))
	defer sentrySrv.Close()

	var targetGot recorded // the payloads the receiver verified
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := httptarget.ReadDelivery(r, []byte(secrets["target secret"]))
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		targetGot.add(string(d.Payload))
		if strings.HasSuffix(r.URL.Path, "/reject") {
			http.Error(w, "this account is closed", http.StatusUnprocessableEntity) // 4xx: dead-letter
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer target.Close()

	pg := strings.Replace(testenv.PostgresDSN(t), "postgres@", "postgres:"+secrets["database password"]+"@", 1)
	for k, v := range map[string]string{
		"SLAQ_ENV": "production", "ADMIN_TOKEN": secrets["ADMIN_TOKEN"] + ",second-token-0123456789",
		"REDIS_HOST": host, "REDIS_PORT": port, "REDIS_PASSWORD": secrets["REDIS_PASSWORD"], "DATABASE_URL": pg,
		"SENTRY_DSN":              strings.Replace(sentrySrv.URL, "http://", "http://"+secrets["SENTRY_DSN key"]+"@", 1) + "/42",
		"SLAQ_TEST_TARGET_SECRET": secrets["target secret"], "SLAQ_TEST_SMTP_PASSWORD": secrets["SMTP password"],
	} {
		t.Setenv(k, v)
	}
	cfg := Default()
	err := cfg.ApplyFile(writeFile(t, fmt.Sprintf(`sensitive: [password]
job_types:
  send_password_reset: {tier: CRITICAL, attempts: 1, sensitive: [token], url: "%[1]s/reset", secret_env: SLAQ_TEST_TARGET_SECRET}
  close_account: {tier: HIGH, attempts: 1, sensitive: [token], url: "%[1]s/reject", secret_env: SLAQ_TEST_TARGET_SECRET}
alerts:
  email: {host: 127.0.0.1, port: %[2]d, tls: none, username: slaq, password_env: SLAQ_TEST_SMTP_PASSWORD,
          from: slaq@example.com, to: [oncall@example.com]}
`, target.URL, sink.Port)))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		t.Fatal(err)
	}
	cfg.RedisPrefix = testenv.Unique("slaqsec-")
	var logs syncBuffer
	r := startLogged(t, cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	r.token = secrets["ADMIN_TOKEN"]

	// Work: a job that completes, one that dead-letters (alerts to the log, email and Sentry).
	payload := fmt.Sprintf(`{"email":"a@example.com","token":%q,"password":%q}`, secrets["sensitive field"], secrets["sensitive (global)"])
	ids := map[string]string{}
	for _, typ := range []string{"send_password_reset", "close_account"} {
		status, m := r.post("/api/jobs", `{"type":"`+typ+`","payload":`+payload+`}`)
		if status != http.StatusCreated {
			t.Fatalf("enqueue %s: %d %v", typ, status, m)
		}
		ids[typ] = m["id"].(string)
	}
	testenv.PollUntil(t, 20*time.Second, "both jobs done", func() bool {
		j, err := r.s.Client().Job(t.Context(), ids["send_password_reset"])
		if err != nil || j.State != "completed" {
			return false
		}
		_, err = r.s.Backend().DeadLetters.Get(t.Context(), ids["close_account"])
		return err == nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.s.ops.alerts.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Bad requests, whose answers might echo what they were given.
	r.post("/api/jobs", `{"type":"send_password_reset","payload":{"token":`)
	r.post("/api/jobs", `{"type":"nope","payload":`+payload+`}`)

	// Read everything: every GET route, with the right credentials and real ids.
	session := signIn(t, r.url, secrets["ADMIN_TOKEN"])
	type answer struct{ what, text string }
	var answers []answer
	get := func(path string) {
		h := http.Header{"Authorization": {"Bearer " + secrets["ADMIN_TOKEN"]}}
		if strings.HasPrefix(path, dashboard.DefaultPath) {
			h = http.Header{"Cookie": {session.String()}}
		}
		resp, body := (request{"GET", r.url + path, h}).do(t)
		var hdr bytes.Buffer
		resp.Header.Write(&hdr)
		answers = append(answers, answer{"GET " + path, hdr.String() + "\n" + string(body)})
	}
	for _, route := range r.s.Routes() {
		if route.Method != "GET" && route.Method != "" {
			continue
		}
		for _, id := range ids {
			get(strings.ReplaceAll(testenv.SamplePath(strings.ReplaceAll(route.Pattern, "{id}", id)), "x1", "CRITICAL"))
		}
	}
	for _, tier := range slaq.Tiers {
		for _, state := range []string{"waiting", "completed", "failed"} {
			get("/api/jobs?tier=" + tier.String() + "&state=" + state)
			get("/dashboard/jobs?tier=" + tier.String() + "&state=" + state)
		}
	}
	get("/dashboard/dead-letters")
	if err := r.stop(); err != nil { // the shutdown logs too
		t.Errorf("Run: %v", err)
	}
	answers = append(answers, answer{"the banner", r.out.String()}, answer{"the log", logs.String()})
	for _, m := range drain(sink.Messages) {
		answers = append(answers, answer{"the alert email", m.Data})
	}
	for _, b := range sentryGot.all() {
		answers = append(answers, answer{"the Sentry event (the payload's secret fields)", strings.ReplaceAll(b, secrets["SENTRY_DSN key"], "")})
	}

	for _, a := range answers {
		for name, secret := range secrets {
			if strings.Contains(a.text, secret) {
				i := strings.Index(a.text, secret)
				t.Errorf("%s shows the %s: …%s…", a.what, name, a.text[max(0, i-80):min(len(a.text), i+len(secret)+20)])
			}
		}
	}

	// Every secret was used, so the test is not vacuous.
	if len(answers) < 40 {
		t.Errorf("only %d answers read", len(answers))
	}
	if got := targetGot.all(); len(got) != 2 || !strings.Contains(got[0], secrets["sensitive field"]) {
		t.Errorf("the receiver verified %d deliveries (%v), want 2 carrying the real token", len(got), got)
	}
	if len(sentryGot.all()) == 0 {
		t.Error("Sentry (SENTRY_DSN) got nothing")
	}
	if !strings.Contains(logs.String(), "slaq alert") || !strings.Contains(logs.String(), "stopped") {
		t.Error("the log has no alert: the log was not captured")
	}
	if !strings.Contains(r.out.String(), "store:        redis "+redisAddr) || !strings.Contains(r.out.String(), "postgres ") {
		t.Errorf("the server did not run on the password-protected Redis and PostgreSQL:\n%s", r.out.String())
	}
	emailed := false
	for _, a := range answers {
		emailed = emailed || a.what == "the alert email"
	}
	if !emailed {
		t.Error("no alert email (the SMTP password was not used)")
	}
	redacted := 0
	for _, a := range answers {
		redacted += strings.Count(a.text, slaq.Redacted)
	}
	if redacted < 4 {
		t.Errorf("the payload shows as %s only %d times", slaq.Redacted, redacted)
	}
}

func drain[T any](ch chan T) []T {
	var out []T
	for {
		select {
		case v := <-ch:
			out = append(out, v)
		default:
			return out
		}
	}
}

// TestConnectionErrorsHidePasswords: when `slaq serve` cannot open its store or dead-letter
// database, the error names what failed without the password in the URL.
func TestConnectionErrorsHidePasswords(t *testing.T) {
	const pass = "hunter2-SECRET-0a1b2c"
	redisAddr := testenv.StartRedis(t, "--requirepass", "the-right-one")
	for _, c := range []struct{ name, redisURL, dbURL string }{
		{"a wrong Redis password", "redis://:" + pass + "@" + redisAddr, ""},
		{"a Redis URL that does not parse", "redis://:" + pass + "%zz@" + redisAddr, ""},
		{"a Redis URL with a bad port", "redis://:" + pass + "@" + redisAddr + "0000", ""},
		{"an unreachable PostgreSQL", "", "postgres://slaq:" + pass + "@127.0.0.1:1/slaq?connect_timeout=2"},
		{"a PostgreSQL URL that does not parse", "", "postgres://slaq:" + pass + "%zz@127.0.0.1:1/slaq"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Default()
			cfg.DataDir, cfg.RedisURL, cfg.DatabaseURL = t.TempDir(), c.redisURL, c.dbURL
			if err := cfg.Resolve(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			s, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				s.Close()
				t.Fatal("New succeeded")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the password: %v", err)
			}
			t.Log(err)
		})
	}
}
