package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq/internal/testenv"
)

// syncBuffer is a bytes.Buffer safe for the server's writes and the test's reads.
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

// running is a server started by a test.
type running struct {
	t      *testing.T
	s      *Server
	url    string
	token  string
	out    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)
var tokenRE = regexp.MustCompile(`admin token:  (dev-[0-9a-f]+)`)

// start runs a server on cfg (Addr 127.0.0.1:0 unless set) until the test ends.
func start(t *testing.T, cfg Config) *running {
	t.Helper()
	return startLogged(t, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// startLogged is start with the server logging to log.
func startLogged(t *testing.T, cfg Config, log *slog.Logger) *running {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.DataDir == "" || cfg.DataDir == DefaultDataDir {
		cfg.DataDir = t.TempDir()
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	s, err := New(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, s: s, out: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx, r.out) }()
	testenv.PollUntil(t, 10*time.Second, "the banner", func() bool { return listenRE.MatchString(r.out.String()) })
	r.url = listenRE.FindStringSubmatch(r.out.String())[1]
	if m := tokenRE.FindStringSubmatch(r.out.String()); m != nil {
		r.token = m[1]
	} else if len(cfg.Tokens) > 0 {
		r.token = cfg.Tokens[0]
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// stop cancels the server and returns Run's result.
func (r *running) stop() error {
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(30 * time.Second):
		r.t.Fatal("Run did not return")
		return nil
	}
}

func (r *running) get(path string, auth bool) (int, map[string]any) {
	r.t.Helper()
	req, _ := http.NewRequest("GET", r.url+path, nil)
	if auth {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestServeDevelopmentDefaults(t *testing.T) {
	r := start(t, Default())
	out := r.out.String()
	for _, want := range []string{"development", "store:        embedded ", "slaq.db", "dead letters: sqlite ", "dead-letters.db", "made up for this run", "workers:      on", "curl"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(r.url, "http://127.0.0.1:") {
		t.Errorf("development binds loopback: %s", r.url)
	}
	if status, m := r.get("/healthz", false); status != 200 || m["status"] != "ok" {
		t.Errorf("healthz: %d %v", status, m)
	}
	if status, m := r.get("/readyz", false); status != 200 || m["status"] != "ready" {
		t.Errorf("readyz: %d %v", status, m)
	}
	if status, _ := r.get("/api/jobs/metrics", false); status != 401 {
		t.Errorf("metrics without token: %d", status)
	}
	if status, m := r.get("/api/jobs/metrics", true); status != 200 || m["success"] != true {
		t.Errorf("metrics: %d %v", status, m)
	}
	// The development handlers run the guide's test job to completion.
	req, _ := http.NewRequest("POST", r.url+"/api/jobs/test/otp", strings.NewReader(`{"email":"test@example.com","code":"123456"}`))
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var a struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	testenv.PollUntil(t, 10*time.Second, "the OTP job completed", func() bool {
		_, m := r.get("/api/jobs/"+a.ID, true)
		j, _ := m["job"].(map[string]any)
		return j != nil && j["state"] == "completed"
	})
	if err := r.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestServeRedisProduction(t *testing.T) {
	cfg := Default()
	cfg.Env, cfg.Tokens = "production", []string{"prod-token"}
	cfg.RedisURL, cfg.RedisPrefix = "redis://"+testenv.RedisAddr(), testenv.RedisPrefix(t)
	cfg.DatabaseURL = testenv.PostgresDSN(t)
	r := start(t, cfg)
	out := r.out.String()
	for _, want := range []string{"production", "store:        redis " + testenv.RedisAddr(), "dead letters: postgres ", "from ADMIN_TOKEN (1 accepted)", "workers:      off"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if status, m := r.get("/readyz", false); status != 200 || m["status"] != "ready" {
		t.Errorf("readyz: %d %v", status, m)
	}
	if status, _ := r.get("/api/jobs/metrics", true); status != 200 {
		t.Errorf("metrics: %d", status)
	}
	req, _ := http.NewRequest("POST", r.url+"/api/jobs/test/otp", nil)
	req.Header.Set("Authorization", "Bearer prod-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("test route outside development: %d", resp.StatusCode)
	}
}

func TestNewRefusesProductionWithoutToken(t *testing.T) {
	cfg := Default()
	cfg.Env, cfg.DataDir = "production", t.TempDir()
	if _, err := New(t.Context(), cfg, nil); err == nil || !strings.Contains(err.Error(), "ADMIN_TOKEN") {
		t.Errorf("New: %v", err)
	}
}

// TestReadyzDegraded: a dead-letter database that stops answering shows as degraded.
func TestReadyzDegraded(t *testing.T) {
	cfg := Default()
	cfg.DataDir = t.TempDir()
	cfg.Resolve()
	cfg.Addr = "127.0.0.1:0"
	s, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Backend().DeadLetters.Close()
	rec := &recorder{h: http.Header{}}
	s.Handler().ServeHTTP(rec, httpReq(t, "/readyz"))
	var m readiness
	json.Unmarshal(rec.body.Bytes(), &m)
	if rec.code != 503 || m.Status != "degraded" || !m.Store.OK || m.DeadLetters.OK || m.DeadLetters.Error == "" {
		t.Errorf("readyz: %d %s", rec.code, rec.body.String())
	}
}

// TestShutdownTurnsReadinessOff: after the stop, /readyz answers 503 "stopping" during the
// drain delay, then Run returns nil.
func TestShutdownTurnsReadinessOff(t *testing.T) {
	cfg := Default()
	cfg.DrainDelay = 500 * time.Millisecond
	r := start(t, cfg)
	r.cancel()
	testenv.PollUntil(t, 5*time.Second, "readyz stopping", func() bool {
		status, m := r.get("/readyz", false)
		return status == 503 && m["status"] == "stopping"
	})
	if err := r.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(r.url, "http://"), time.Second); err == nil {
		t.Error("still listening after Run returned")
	}
}

type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(c int)           { r.code = c }

func httpReq(t *testing.T, path string) *http.Request {
	req, err := http.NewRequestWithContext(t.Context(), "GET", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestServeDeclaredTypes: with job types declared in the config, POST /api/jobs refuses
// others, and the file's tier settings reach the client.
func TestServeDeclaredTypes(t *testing.T) {
	cfg := Default()
	dir := t.TempDir()
	p := dir + "/slaq.yaml"
	if err := os.WriteFile(p, []byte("tiers:\n  CRITICAL: {workers: 7}\njob_types:\n  send_email: {tier: LOW}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cfg.ApplyFile(p); err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = dir
	r := start(t, cfg)
	post := func(body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", r.url+"/api/jobs", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+r.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	status, m := post(`{"type":"send_email"}`)
	if status != 201 {
		t.Fatalf("declared type: %d %v", status, m)
	}
	_, j := r.get("/api/jobs/"+m["id"].(string), true)
	if job := j["job"].(map[string]any); job["tier"] != "LOW" {
		t.Errorf("the type's tier from the file: %v", job["tier"])
	}
	if status, m := post(`{"type":"send_emial"}`); status != 400 || m["error"].(map[string]any)["code"] != "unknown_job_type" {
		t.Errorf("undeclared type: %d %v", status, m)
	}
	if status, _ := post(`{"type":"send_otp"}`); status != 201 {
		t.Errorf("development type: %d", status)
	}
	_, mm := r.get("/api/jobs/metrics", true)
	if w := mm["metrics"].(map[string]any)["CRITICAL"].(map[string]any)["workers"]; w != 7.0 {
		t.Errorf("CRITICAL workers from the file: %v", w)
	}
}
