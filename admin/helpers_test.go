package admin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store"
)

const token = "test-token-0123456789"

// backends are the real store and dead-letter database pairs every flow runs on.
var backends = []string{"embedded+sqlite", "redis+postgres"}

// env is an admin API over real components, served on a loopback port.
type env struct {
	t      *testing.T
	client *slaq.Client
	st     store.Store
	dead   *dlq.DB
	h      *admin.Handler
	url    string
}

// newEnv builds the API on backend; cfg and opt adjust the client and the handler.
func newEnv(t *testing.T, backend string, cfg *slaq.Config, opt func(*admin.Options)) *env {
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
	c := slaq.Config{}
	if cfg != nil {
		c = *cfg
	}
	c.DeadLetters = e.dead
	client, err := slaq.New(e.st, c)
	if err != nil {
		t.Fatal(err)
	}
	e.client = client
	o := admin.Options{Client: client, DeadLetters: e.dead, Tokens: []string{"other-token", token}}
	if opt != nil {
		opt(&o)
	}
	if e.h, err = admin.New(o); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// do sends a request with the valid token and returns the status and body.
func (e *env) do(method, path, body string) (int, []byte) {
	e.t.Helper()
	return e.doAuth(method, path, body, "Bearer "+token)
}

func (e *env) doAuth(method, path, body, auth string) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Errorf("%s %s: Content-Type %q, want JSON", method, path, ct)
	}
	return resp.StatusCode, b
}

// ok sends a request that must answer want, decodes the body into v (if not nil).
func (e *env) ok(method, path, body string, want int, v any) {
	e.t.Helper()
	status, b := e.do(method, path, body)
	if status != want {
		e.t.Fatalf("%s %s %s: status %d, want %d; body %s", method, path, body, status, want, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// fails sends a request that must answer status with the error code.
func (e *env) fails(method, path, body string, status int, code string) {
	e.t.Helper()
	got, b := e.do(method, path, body)
	checkError(e.t, method+" "+path+" "+trim(body), got, b, status, code)
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// checkError asserts an error answer's status, shape and code.
func checkError(t *testing.T, what string, got int, body []byte, status int, code string) {
	t.Helper()
	var eb struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil {
		t.Errorf("%s: body %s is not an error answer: %v", what, body, err)
		return
	}
	if got != status || eb.Error.Code != code || eb.Error.Message == "" {
		t.Errorf("%s: got %d %q (%q), want %d %q", what, got, eb.Error.Code, eb.Error.Message, status, code)
	}
}

// addDead puts n dead jobs of typ in tier into the dead-letter queue, failed at failedAt,
// failedAt+1, …, and returns their ids.
func (e *env) addDead(typ string, tier slaq.Tier, n int, failedAt int64) []string {
	e.t.Helper()
	jobs := make([]*store.Job, n)
	ids := make([]string, n)
	for i := range jobs {
		at := failedAt + int64(i)
		jobs[i] = &store.Job{ID: store.NewID(tier, at), Type: typ, Tier: tier, Payload: []byte(`{"n":1}`),
			State: store.StateFailed, Attempts: 1, MaxAttempts: 1, TimeoutMs: 1000, CreatedAt: at - 10,
			StartedAt: at - 5, FinishedAt: at, LastError: "boom"}
		ids[i] = jobs[i].ID
	}
	if err := e.dead.Add(e.t.Context(), jobs); err != nil {
		e.t.Fatal(err)
	}
	return ids
}

// pollJob waits until the job's state is want.
func (e *env) pollJob(id string, want slaq.State) {
	e.t.Helper()
	testenv.PollUntil(e.t, 10*time.Second, "job "+id+" "+string(want), func() bool {
		j, err := e.client.Job(e.t.Context(), id)
		return err == nil && j.State == want
	})
}
