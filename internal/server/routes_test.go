package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq/admin"
	"github.com/slaqhq/slaq/dashboard"
	"github.com/slaqhq/slaq/internal/testenv"
)

// openRoutes are the only routes of `slaq serve` that answer without credentials; the
// development server adds developmentOpen. A route added anywhere in the server (its own
// mux, the dashboard, the admin API) without a check is missing here, and
// TestEveryRouteRefusesWithoutCredentials fails.
var openRoutes = map[string]bool{
	"GET /healthz":           true,
	"GET /readyz":            true,
	"GET /{$}":               true, // the redirect to the dashboard
	"GET /dashboard/static/": true,
	"GET /dashboard/login":   true,
	"POST /dashboard/login":  true,
	"POST /dashboard/logout": true,
}

// developmentOpen are open in development only.
var developmentOpen = map[string]bool{"GET /metrics": true}

const prodToken = "prod-token-0123456789abcdef"

// handlerServer builds a server over cfg (resolved, in a temporary data directory) and
// serves its handler on a loopback port, without Run.
func handlerServer(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	if cfg.DataDir == "" || cfg.DataDir == DefaultDataDir {
		cfg.DataDir = t.TempDir()
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	s, err := New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func production(t *testing.T) Config {
	cfg := Default()
	cfg.Env, cfg.Tokens = "production", []string{prodToken}
	cfg.Addr = "127.0.0.1:0"
	return cfg
}

// request is one request of the route walk.
type request struct {
	method, url string
	header      http.Header
}

func (p request) do(t *testing.T) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if p.method == "POST" || p.method == "DELETE" {
		body = strings.NewReader(`{}`)
	}
	req, err := http.NewRequestWithContext(t.Context(), p.method, p.url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.header {
		req.Header[k] = v
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// refused says why resp is not a refusal for want of credentials ("" when it is): 401 with
// the API's JSON error and a Bearer challenge, or, under the dashboard, a redirect to its
// sign-in page.
func refused(path string, resp *http.Response, body []byte) string {
	if strings.HasPrefix(path, dashboard.DefaultPath) {
		if resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == dashboard.DefaultPath+"login" {
			return ""
		}
		return "got " + resp.Status + " to " + resp.Header.Get("Location") + ", want 303 to the sign-in page"
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if resp.StatusCode != http.StatusUnauthorized || json.Unmarshal(body, &e) != nil || e.Error.Code != admin.CodeUnauthorized ||
		!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		return "got " + resp.Status + " " + trimBody(body) + ", want 401 unauthorized JSON with a Bearer challenge"
	}
	return ""
}

func trimBody(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}

// routeViolations walks routes on the server at base: each route not in open must refuse
// every bad credential and be served with the good one (a bearer token for the API and
// /metrics, a session cookie for the dashboard), and each route in open must still exist.
// It returns what went wrong, one line per failure.
func routeViolations(t *testing.T, base string, routes []Route, open map[string]bool, token string, session *http.Cookie) []string {
	t.Helper()
	var out []string
	bad := map[string]http.Header{
		"no credentials":         nil,
		"a wrong token":          {"Authorization": {"Bearer wrong-" + token}},
		"the token with a tail":  {"Authorization": {"Bearer " + token + "x"}},
		"the token cut short":    {"Authorization": {"Bearer " + token[:len(token)-1]}},
		"the token as Basic":     {"Authorization": {"Basic " + token}},
		"the token, no scheme":   {"Authorization": {token}},
		"a forged session":       {"Cookie": {dashboard.CookieName + "=" + strings.Repeat("A", 43)}},
		"the token as a session": {"Cookie": {dashboard.CookieName + "=" + token}},
	}
	seen := map[string]bool{}
	for _, r := range routes {
		key := strings.TrimSpace(r.Method + " " + r.Pattern)
		seen[key] = true
		method := r.Method
		if method == "" {
			method = "GET"
		}
		path := testenv.SamplePath(r.Pattern)
		if open[key] {
			continue // what an open route answers is its own business (a sign-in form may say 401)
		}
		good := http.Header{"Authorization": {"Bearer " + token}}
		wrongKind := http.Header{"Cookie": {session.String()}} // a session does not open the API
		if strings.HasPrefix(path, dashboard.DefaultPath) {
			good = http.Header{"Cookie": {session.String()}, "Sec-Fetch-Site": {"same-origin"}}
			wrongKind = http.Header{"Authorization": {"Bearer " + token}} // nor a token the dashboard
		}
		cases := map[string]http.Header{"the other kind of credential": wrongKind}
		for k, v := range bad {
			cases[k] = v
		}
		for name, h := range cases {
			resp, body := (request{method, base + path, h}).do(t)
			if why := refused(path, resp, body); why != "" {
				out = append(out, key+" with "+name+": "+why)
			}
		}
		if resp, body := (request{method, base + path, good}).do(t); refused(path, resp, body) == "" {
			out = append(out, key+": refused even with good credentials")
		}
	}
	for key := range open {
		if !seen[key] {
			out = append(out, key+": listed as open but not a route any more; update the list")
		}
	}
	return out
}

// signIn signs in to the dashboard at base with token and returns the session cookie.
func signIn(t *testing.T, base, token string) *http.Cookie {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+dashboard.DefaultPath+"login", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == dashboard.CookieName {
			return &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	t.Fatalf("sign in: %d, no session cookie", resp.StatusCode)
	return nil
}

// TestEveryRouteRefusesWithoutCredentials walks the whole server's route table (Server.Routes:
// its own routes, the dashboard's and the admin API's, so routes added later are walked too),
// in production and in development.
func TestEveryRouteRefusesWithoutCredentials(t *testing.T) {
	for _, mode := range []string{"production", "development"} {
		t.Run(mode, func(t *testing.T) {
			cfg, open, token := production(t), openRoutes, prodToken
			if mode == "development" {
				cfg = Default()
				cfg.Tokens = []string{"dev-token-0123456789abcdef"}
				token = cfg.Tokens[0]
				open = map[string]bool{}
				for k := range openRoutes {
					open[k] = true
				}
				for k := range developmentOpen {
					open[k] = true
				}
			}
			s, base := handlerServer(t, cfg)
			routes := s.Routes()
			if len(routes) < 30 {
				t.Fatalf("only %d routes", len(routes))
			}
			for _, v := range routeViolations(t, base, routes, open, token, signIn(t, base, token)) {
				t.Error(v)
			}
			// Paths that match no route are refused too: the admin API answers every path
			// outside the dashboard, and checks the token before it looks for a route.
			for _, p := range []string{"/api/other", "/nothing", "/metrics/x", "/healthz/x"} {
				if resp, body := (request{"GET", base + p, nil}).do(t); refused(p, resp, body) != "" {
					t.Errorf("GET %s: %s", p, refused(p, resp, body))
				}
			}
		})
	}
}

// TestRouteWalkCatchesAnOpenRoute: the walk reports a route registered without a check,
// on the server's own mux and under the dashboard's path, so the test above can fail.
func TestRouteWalkCatchesAnOpenRoute(t *testing.T) {
	s, base := handlerServer(t, production(t))
	leak := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("secret data")) })
	s.route("GET /api/jobs/leak", leak, nil)
	s.route("GET /dashboard/leak", leak, nil)
	got := routeViolations(t, base, s.Routes(), openRoutes, prodToken, signIn(t, base, prodToken))
	for _, want := range []string{"GET /api/jobs/leak with no credentials", "GET /dashboard/leak with no credentials"} {
		found := false
		for _, v := range got {
			found = found || strings.HasPrefix(v, want)
		}
		if !found {
			t.Errorf("the walk missed %q; it reported:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// TestTestRoutesOnlyInDevelopment: the guide's test routes are not routes outside
// development (404 with a valid token, nothing enqueued), and are in development.
func TestTestRoutesOnlyInDevelopment(t *testing.T) {
	s, base := handlerServer(t, production(t))
	for _, r := range s.Routes() {
		if strings.Contains(r.Pattern, "/test/") {
			t.Errorf("production serves %s %s", r.Method, r.Pattern)
		}
	}
	for _, p := range []string{"/api/jobs/test/otp", "/api/jobs/test/report"} {
		resp, body := (request{"POST", base + p, http.Header{"Authorization": {"Bearer " + prodToken}}}).do(t)
		var e struct{ Error struct{ Code string } }
		if json.Unmarshal(body, &e); resp.StatusCode != http.StatusNotFound || e.Error.Code != admin.CodeNotFound {
			t.Errorf("POST %s in production: %d %s, want 404 not_found", p, resp.StatusCode, body)
		}
	}
	if m, err := s.Client().Metrics(t.Context()); err != nil || m["CRITICAL"].Total+m["LOW"].Total != 0 {
		t.Errorf("a refused test route enqueued something: %+v %v", m, err)
	}
	dev, _ := handlerServer(t, Default())
	n := 0
	for _, r := range dev.Routes() {
		if r.Method == "POST" && (r.Pattern == "/api/jobs/test/otp" || r.Pattern == "/api/jobs/test/report") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("development serves %d of the 2 test routes", n)
	}
}
