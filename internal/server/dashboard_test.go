package server

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestServeDashboard checks that slaq serve mounts the dashboard at /dashboard/, that /
// sends a browser there, and that the server's admin token signs in.
func TestServeDashboard(t *testing.T) {
	r := start(t, Default())
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(r.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/dashboard/" {
		t.Errorf("GET /: %d to %q, want a redirect to /dashboard/", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = c.Get(r.url + "/dashboard/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Sign in to slaq") {
		t.Fatalf("GET /dashboard/login: %d", resp.StatusCode)
	}
	resp, err = c.PostForm(r.url+"/dashboard/login", url.Values{"token": {r.token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Errorf("sign in with the server's token: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if !strings.Contains(r.out.String(), "dashboard:    "+r.url+"/dashboard/") {
		t.Errorf("the banner names no dashboard:\n%s", r.out.String())
	}
}
