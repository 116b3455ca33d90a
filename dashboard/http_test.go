package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slaqhq/slaq/dashboard"
)

// TestSignIn checks the session cookie's attributes, that the token never reaches the
// browser, and that a wrong token, a missing session and sign-out all lead to the sign-in page.
func TestSignIn(t *testing.T) {
	e := newEnv(t, "embedded+sqlite")
	c := httpClient(t)
	resp, _ := send(t, c, "GET", e.url+"/dashboard/", nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard/login" {
		t.Fatalf("signed out: %d to %q, want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = send(t, c, "GET", e.url+"/dashboard/fragments/tiers", nil, map[string]string{"HX-Request": "true"})
	if resp.Header.Get("HX-Redirect") != "/dashboard/login" {
		t.Errorf("signed-out poll: HX-Redirect %q, want the sign-in page", resp.Header.Get("HX-Redirect"))
	}
	resp, body := send(t, c, "POST", e.url+"/dashboard/login", url.Values{"token": {"wrong"}}, nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not accepted") || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong token: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	ck := e.signIn(c)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/dashboard/" || strings.Contains(ck.Value, token) || len(ck.Value) < 40 {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, path /dashboard/, a random id", ck)
	}
	for _, page := range []string{"", "jobs", "dead-letters", "config"} {
		resp, body := send(t, c, "GET", e.url+"/dashboard/"+page, nil, nil)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, token) {
			t.Errorf("page %q: %d, token in page %v", page, resp.StatusCode, strings.Contains(body, token))
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("page %q: CSP %q", page, csp)
		}
	}
	resp, body = send(t, c, "GET", e.url+"/dashboard/static/htmx-"+dashboard.HTMXVersion+".min.js", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "htmx") {
		t.Errorf("embedded htmx: %d", resp.StatusCode)
	}
	resp, _ = send(t, c, "POST", e.url+"/dashboard/logout", url.Values{}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	// The old id no longer signs in, even if a browser kept it.
	c2 := httpClient(t)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", e.url+"/dashboard/", nil)
	req.AddCookie(ck)
	r2, err := c2.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out, the old session answered %d, want 303 to sign-in", r2.StatusCode)
	}
}

// TestCrossOriginRefused checks that a signed-in browser's state-changing request coming
// from another origin is refused and changes nothing.
func TestCrossOriginRefused(t *testing.T) {
	e := newEnv(t, "embedded+sqlite")
	c := httpClient(t)
	e.signIn(c)
	for name, hdr := range map[string]map[string]string{
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": "cross-site"},
		"Sec-Fetch-Site same-site":  {"Sec-Fetch-Site": "same-site"},
		"Origin elsewhere":          {"Origin": "http://evil.example"},
	} {
		resp, body := send(t, c, "POST", e.url+"/dashboard/tiers/BATCH/pause", url.Values{"confirm": {"yes"}}, hdr)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Cross-origin request refused") {
			t.Errorf("%s: %d, want 403 with the refusal page", name, resp.StatusCode)
		}
	}
	m, err := e.client.Metrics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if m["BATCH"].Paused {
		t.Fatal("a refused request paused BATCH")
	}
	resp, _ := send(t, c, "POST", e.url+"/dashboard/tiers/BATCH/pause", url.Values{"confirm": {"yes"}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin pause: %d", resp.StatusCode)
	}
	if m, _ = e.client.Metrics(t.Context()); !m["BATCH"].Paused {
		t.Fatal("a same-origin pause did not pause BATCH")
	}
}

// TestStoreDown checks the degraded state: with the store closed, every page says the store
// is unreachable and the tiers table shows the error instead of counts.
func TestStoreDown(t *testing.T) {
	e := newEnv(t, "embedded+sqlite")
	c := httpClient(t)
	e.signIn(c)
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	_, body := send(t, c, "GET", e.url+"/dashboard/", nil, nil)
	if !strings.Contains(body, "Degraded: the store is unreachable") || !strings.Contains(body, `id="tiers-error"`) {
		t.Errorf("store down: the page shows no degraded state:\n%s", body)
	}
	resp, body := send(t, c, "GET", e.url+"/dashboard/fragments/tiers", nil, map[string]string{"HX-Request": "true"})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "The store did not answer") {
		t.Errorf("store down: the polled table answered %d without the error state", resp.StatusCode)
	}
}
