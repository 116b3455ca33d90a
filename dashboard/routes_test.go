package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dashboard"
	"github.com/slaqhq/slaq/internal/testenv"
)

// publicRoutes are the only routes served without a session. A route added to the handler
// without the session check is not in this list, and TestEveryPageNeedsSession fails.
var publicRoutes = map[string]bool{
	"GET /dashboard/static/": true,
	"GET /dashboard/login":   true,
	"POST /dashboard/login":  true,
	"POST /dashboard/logout": true,
}

// TestEveryPageNeedsSession walks the dashboard's own route table: every route but the
// public ones sends a request without a live session (none, a forged cookie, an admin
// token as a bearer header or as the cookie) to the sign-in page and shows nothing, and a
// signed-in request is served. Routes added later are walked too, so a page added without
// the session check fails here.
func TestEveryPageNeedsSession(t *testing.T) {
	e := newEnv(t, "embedded+sqlite")
	routes := e.dash.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes", len(routes))
	}
	signed := httpClient(t)
	ck := e.signIn(signed)
	seenPublic := map[string]bool{}
	for _, r := range routes {
		method := r.Method
		if method == "" {
			method = "GET"
		}
		key := strings.TrimSpace(r.Method + " " + r.Pattern)
		path := testenv.SamplePath(r.Pattern)
		if r.Public != publicRoutes[key] {
			t.Errorf("%s: Public is %v, but the test's list of public routes says %v", key, r.Public, publicRoutes[key])
		}
		if publicRoutes[key] {
			seenPublic[key] = true
			continue
		}
		form := url.Values{"confirm": {"yes"}, "id": {"x1"}}
		for name, hdr := range map[string]map[string]string{
			"no credentials":   nil,
			"forged cookie":    {"Cookie": dashboard.CookieName + "=" + strings.Repeat("A", 43)},
			"token as cookie":  {"Cookie": dashboard.CookieName + "=" + token},
			"bearer token":     {"Authorization": "Bearer " + token},
			"old cookie shape": {"Cookie": dashboard.CookieName + "=" + ck.Value + "x"},
		} {
			c := httpClient(t)
			resp, body := send(t, c, method, e.url+path, form, hdr)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard/login" {
				t.Errorf("%s %s with %s: %d (Location %q), want 303 to the sign-in page", method, path, name, resp.StatusCode, resp.Header.Get("Location"))
			}
			if len(body) > 200 {
				t.Errorf("%s %s with %s: the refusal carries a %d-byte body", method, path, name, len(body))
			}
			hdrHX := map[string]string{"HX-Request": "true"}
			for k, v := range hdr {
				hdrHX[k] = v
			}
			if resp, _ := send(t, c, method, e.url+path, form, hdrHX); resp.StatusCode != http.StatusNoContent || resp.Header.Get("HX-Redirect") != "/dashboard/login" {
				t.Errorf("%s %s (htmx) with %s: %d (HX-Redirect %q), want 204 to the sign-in page", method, path, name, resp.StatusCode, resp.Header.Get("HX-Redirect"))
			}
		}
		// Signed in, the route is served (anything but the way to the sign-in page).
		resp, _ := send(t, signed, method, e.url+path, form, map[string]string{"Sec-Fetch-Site": "same-origin"})
		if loc := resp.Header.Get("Location"); strings.HasSuffix(loc, "/login") || resp.StatusCode == http.StatusUnauthorized {
			t.Errorf("%s %s signed in: %d to %q, want it served", method, path, resp.StatusCode, loc)
		}
	}
	for key := range publicRoutes {
		if !seenPublic[key] {
			t.Errorf("public route %s is not in the route table any more: update the list", key)
		}
	}
}

// TestFormTooLarge: a posted form over MaxFormBytes answers 413, signed in or not, and
// changes nothing.
func TestFormTooLarge(t *testing.T) {
	e := newEnv(t, "embedded+sqlite")
	c := httpClient(t)
	e.signIn(c)
	big := url.Values{"confirm": {"yes"}, "pad": {strings.Repeat("x", dashboard.DefaultMaxFormBytes)}}
	for _, path := range []string{"/dashboard/login", "/dashboard/tiers/BATCH/pause"} {
		resp, body := send(t, c, "POST", e.url+path, big, nil)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "Request too large") {
			t.Errorf("POST %s with %d bytes: %d, want 413", path, len(big.Encode()), resp.StatusCode)
		}
	}
	if m, err := e.client.Metrics(t.Context()); err != nil || m["BATCH"].Paused {
		t.Errorf("an oversized form paused BATCH (%v)", err)
	}
}

// TestSensitiveFieldsRedacted: the job page and the dead-letter page show a job type's
// sensitive payload fields as [redacted].
func TestSensitiveFieldsRedacted(t *testing.T) {
	e := newEnvWith(t, "embedded+sqlite", func(c *slaq.Config) {
		c.Types = map[string]slaq.TypeConfig{"flaky": {Sensitive: []string{"to"}}, "ok": {Sensitive: []string{"TO"}}}
	})
	c := httpClient(t)
	e.signIn(c)
	delayed := e.enqueue("ok", slaq.Delay(time.Hour))
	dead := e.deadLetter(slaq.High)
	for _, page := range []string{"jobs/" + delayed, "jobs/" + dead, "dead-letters"} {
		resp, body := send(t, c, "GET", e.url+"/dashboard/"+page, nil, nil)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "a@example.com") || !strings.Contains(body, slaq.Redacted) {
			t.Errorf("page %s: %d, the sensitive field shown: %v, redacted: %v", page, resp.StatusCode,
				strings.Contains(body, "a@example.com"), strings.Contains(body, slaq.Redacted))
		}
	}
}
