package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
	"github.com/slaqhq/slaq/internal/testenv"
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

// TestServeDashboardCharts checks that the dashboard's charts see the server's job events
// alongside the metrics and alerts (the observers once replaced one another).
func TestServeDashboardCharts(t *testing.T) {
	cfg := Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	s, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := s.Client()
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	if _, err := c.Enqueue(t.Context(), admin.TestOTPType, map[string]string{"email": "a@example.com", "code": "1"}, slaq.WithTier(slaq.Critical)); err != nil {
		t.Fatal(err)
	}
	testenv.PollUntil(t, 10*time.Second, "the chart's completed count", func() bool {
		for _, p := range s.history.Series(slaq.Critical) {
			if p.Completed > 0 && p.Pickups > 0 {
				return true
			}
		}
		return false
	})
}
