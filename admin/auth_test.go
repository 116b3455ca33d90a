package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/slaqhq/slaq/admin"
)

// TestEveryRouteNeedsToken walks the whole route table (development routes included): any
// route that answers without a valid token fails it, so a route added without auth cannot
// pass. Paths that match no route answer 401 too, so the token check cannot be dodged.
func TestEveryRouteNeedsToken(t *testing.T) {
	e := newEnv(t, "embedded+sqlite", nil, func(o *admin.Options) { o.Development = true })
	routes := e.h.Routes()
	if len(routes) < 17 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	bad := []string{"", "Bearer", "Bearer ", "Bearer wrong", "Basic " + token, "Bearer " + token + "x",
		"Bearer " + token[:len(token)-1], token}
	for _, r := range routes {
		path := strings.ReplaceAll(r.Pattern, "{id}", "1ABC")
		for _, auth := range bad {
			status, body := e.doAuth(r.Method, path, `{}`, auth)
			checkError(t, r.Method+" "+path+" with Authorization "+auth, status, body, http.StatusUnauthorized, admin.CodeUnauthorized)
		}
		// And with a valid token it is served: anything but 401.
		if status, body := e.doAuth(r.Method, path, `{}`, "bearer "+token); status == http.StatusUnauthorized {
			t.Errorf("%s %s: 401 with a valid token: %s", r.Method, path, body)
		}
	}
	for _, p := range []string{"/", "/api/jobs/nope/nope", "/api/other"} {
		status, body := e.doAuth("GET", p, "", "")
		checkError(t, "GET "+p, status, body, http.StatusUnauthorized, admin.CodeUnauthorized)
	}
	// Every accepted token works (rotation).
	e.ok("GET", "/api/jobs/metrics", "", 200, nil)
	if status, _ := e.doAuth("GET", "/api/jobs/metrics", "", "Bearer other-token"); status != 200 {
		t.Errorf("second token: status %d", status)
	}
}

func TestNewNeedsClientAndToken(t *testing.T) {
	e := newEnv(t, "embedded+sqlite", nil, nil)
	if _, err := admin.New(admin.Options{Tokens: []string{"t"}}); err == nil {
		t.Error("New without a client: no error")
	}
	for _, tokens := range [][]string{nil, {}, {""}, {"  "}} {
		if _, err := admin.New(admin.Options{Client: e.client, Tokens: tokens}); err == nil {
			t.Errorf("New with tokens %q: no error", tokens)
		}
	}
}

// TestOpenAPIMatchesRoutes checks the served description against the route table both ways:
// every route is documented and every documented operation is routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, "embedded+sqlite", nil, func(o *admin.Options) { o.Development = true })
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	e.ok("GET", "/api/jobs/openapi.json", "", 200, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	var documented, routed []string
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			var op struct {
				Summary   string                     `json:"summary"`
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil || op.Summary == "" || len(op.Responses) < 2 || op.Responses["401"] == nil {
				t.Errorf("%s %s: needs a summary and responses incl. 401 (%v)", method, path, err)
			}
		}
	}
	for _, r := range e.h.Routes() {
		routed = append(routed, r.Method+" "+r.Pattern)
	}
	sort.Strings(documented)
	sort.Strings(routed)
	if strings.Join(documented, "\n") != strings.Join(routed, "\n") {
		t.Errorf("OpenAPI and routes differ:\ndocumented:\n%s\nrouted:\n%s", strings.Join(documented, "\n"), strings.Join(routed, "\n"))
	}
	if string(admin.OpenAPI()) == "" {
		t.Error("OpenAPI() is empty")
	}
}

func TestUnroutedAnswersJSON(t *testing.T) {
	e := newEnv(t, "embedded+sqlite", nil, nil)
	e.fails("GET", "/api/nothing", "", 404, admin.CodeNotFound)
	e.fails("POST", "/api/jobs/test/otp", `{}`, 404, admin.CodeNotFound) // development off
	e.fails("POST", "/api/jobs/test/report", ``, 404, admin.CodeNotFound)
	status, body := e.do("DELETE", "/api/jobs/metrics", "")
	checkError(t, "DELETE /api/jobs/metrics", status, body, 405, admin.CodeMethodNotAllowed)
	e.fails("PUT", "/api/jobs", "{}", 405, admin.CodeMethodNotAllowed)
}

// TestRequireToken: the exported check refuses as the API does and lets a good token through.
func TestRequireToken(t *testing.T) {
	t.Parallel()
	if _, err := admin.RequireToken([]string{" "}, http.NotFoundHandler()); err == nil {
		t.Error("RequireToken without a token: no error")
	}
	h, err := admin.RequireToken([]string{"a-token", token}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	e := &env{t: t, url: srv.URL}
	for _, auth := range []string{"", "Bearer wrong", "Basic " + token, token} {
		status, body := e.doAuth("GET", "/metrics", "", auth)
		checkError(t, "Authorization "+auth, status, body, http.StatusUnauthorized, admin.CodeUnauthorized)
	}
	if status, body := e.doAuth("GET", "/metrics", "", "Bearer "+token); status != 200 || string(body) != `{"ok":true}` {
		t.Errorf("good token: %d %s", status, body)
	}
}
