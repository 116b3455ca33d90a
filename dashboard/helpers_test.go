package dashboard_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dashboard"
	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store"
)

const token = "dash-test-token-0123456789"

// backends are the real store and dead-letter database pairs the dashboard runs on.
var backends = []string{"embedded+sqlite", "redis+postgres"}

// env is a started client with a dashboard, served on a loopback port.
type env struct {
	t      *testing.T
	st     store.Store
	dead   *dlq.DB
	client *slaq.Client
	url    string   // the server's root, e.g. http://127.0.0.1:40000
	failed sync.Map // ids of "flaky" jobs that failed once
}

// newEnv starts a client on backend with handlers "ok" (succeeds after a few ms) and
// "flaky" (fails permanently on its first run, succeeds after), and a dashboard at
// /dashboard/.
func newEnv(t *testing.T, backend string) *env {
	t.Helper()
	return newEnvWith(t, backend, nil)
}

// newEnvWith is newEnv with cfg adjusting the client's configuration first.
func newEnvWith(t *testing.T, backend string, cfg func(*slaq.Config)) *env {
	t.Helper()
	e := &env{t: t}
	switch backend {
	case "embedded+sqlite":
		e.st, e.dead = testenv.SQLiteStore(t), testenv.SQLiteDLQ(t)
	case "redis+postgres":
		e.st, e.dead = testenv.RedisStore(t), testenv.PostgresDLQ(t)
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	mux := slaq.NewServeMux()
	mux.HandleFunc("ok", func(ctx context.Context, j *slaq.Job) error {
		select {
		case <-time.After(2 * time.Millisecond): // a little work, so runs take time
		case <-ctx.Done():
		}
		return nil
	})
	mux.HandleFunc("flaky", func(ctx context.Context, j *slaq.Job) error {
		if _, again := e.failed.LoadOrStore(j.ID, true); !again {
			return slaq.Permanent(errors.New("upstream said 502\n\tat flaky (handler.go:1)"))
		}
		return nil
	})
	history := dashboard.NewHistory(dashboard.HistoryOptions{Window: 2 * time.Minute, Step: 2 * time.Second})
	ccfg := slaq.Config{Handler: mux, DeadLetters: e.dead, Observers: []slaq.Observer{history}, ShutdownGrace: 5 * time.Second}
	if cfg != nil {
		cfg(&ccfg)
	}
	client, err := slaq.New(e.st, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(ctx)
	})
	e.client = client
	dash, err := dashboard.New(dashboard.Options{Client: client, DeadLetters: e.dead, Tokens: []string{"other", token},
		History: history, RefreshInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	root := http.NewServeMux()
	root.Handle(dashboard.DefaultPath, dash)
	srv := httptest.NewServer(root)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// enqueue stores a job and returns its id.
func (e *env) enqueue(typ string, opts ...slaq.Option) string {
	e.t.Helper()
	id, err := e.client.Enqueue(e.t.Context(), typ, map[string]any{"to": "a@example.com", "n": 1}, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// deadLetter enqueues a flaky job into tier and waits for its dead-letter row.
func (e *env) deadLetter(tier slaq.Tier) string {
	e.t.Helper()
	id := e.enqueue("flaky", slaq.WithTier(tier), slaq.MaxAttempts(1))
	testenv.PollUntil(e.t, 20*time.Second, "dead letter "+id, func() bool {
		_, err := e.dead.Get(e.t.Context(), id)
		return err == nil
	})
	return id
}

// httpClient is a client that keeps cookies and does not follow redirects.
func httpClient(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// send makes a request with form values and optional headers; it returns status and body.
func send(t *testing.T, c *http.Client, method, u string, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// signIn signs c in and returns the session cookie.
func (e *env) signIn(c *http.Client) *http.Cookie {
	e.t.Helper()
	resp, body := send(e.t, c, "POST", e.url+"/dashboard/login", url.Values{"token": {token}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == dashboard.CookieName {
			return ck
		}
	}
	e.t.Fatal("sign in set no session cookie")
	return nil
}
