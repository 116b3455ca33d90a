package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slaqhq/slaq/admin"
	"github.com/slaqhq/slaq/dashboard"
)

// TestSlowClientsCutOff: a client that sends its headers or its body too slowly is
// disconnected once ReadHeaderTimeout (headers) or ReadTimeout (the whole request) has
// passed, however it spaces its bytes; nothing it sent is stored. Each case talks raw TCP.
func TestSlowClientsCutOff(t *testing.T) {
	const headerTimeout, readTimeout = 300 * time.Millisecond, 600 * time.Millisecond
	cfg := Default()
	cfg.Env, cfg.Tokens = "production", []string{prodToken}
	cfg.ReadHeaderTimeout, cfg.ReadTimeout = headerTimeout, readTimeout
	r := start(t, cfg)
	addr := strings.TrimPrefix(r.url, "http://")
	body := `{"type":"send_email","payload":{"to":"a@example.com"}}`
	head := "POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + prodToken + "\r\nContent-Type: application/json\r\n"
	for _, c := range []struct {
		name    string
		first   string        // sent at once
		trickle string        // then one byte per gap, until the server hangs up
		gap     time.Duration //
		limit   time.Duration // the timeout that must cut it off
	}{
		{"headers that stop", "GET /healthz HTTP/1.1\r\nHost: x\r\n", "", 0, headerTimeout},
		{"headers a byte at a time", "GET /healthz HTTP/1.1\r\n", strings.Repeat("X-Slow: y\r\n", 100), 20 * time.Millisecond, headerTimeout},
		{"a body a byte at a time", head + "Content-Length: 4000\r\n\r\n", body + strings.Repeat(" ", 4000), 20 * time.Millisecond, readTimeout},
		{"a body that stops", head + "Content-Length: 4000\r\n\r\n" + body[:10], "", 0, readTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now()
			if _, err := io.WriteString(conn, c.first); err != nil {
				t.Fatal(err)
			}
			go func() {
				for i := 0; i < len(c.trickle); i++ {
					time.Sleep(c.gap) // the slow client's pace, not a wait for a result
					if _, err := conn.Write([]byte{c.trickle[i]}); err != nil {
						return // the server hung up
					}
				}
			}()
			conn.SetReadDeadline(time.Now().Add(c.limit + 5*time.Second))
			answer, err := io.ReadAll(conn)
			took := time.Since(start)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("still connected after %s (limit %s)", took, c.limit)
			}
			if err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Logf("read: %v", err)
			}
			if took < c.limit*9/10 || took > c.limit+3*time.Second {
				t.Errorf("cut off after %s, want about %s", took, c.limit)
			}
			if strings.Contains(string(answer), "201 Created") {
				t.Errorf("the slow request was served: %s", answer)
			}
		})
	}
	if m, err := r.s.Client().Metrics(t.Context()); err != nil || m["MEDIUM"].Total != 0 {
		t.Errorf("a cut-off request stored a job: %+v %v", m["MEDIUM"], err)
	}
}

// TestIdleConnectionClosed: a keep-alive connection left idle is closed after IdleTimeout.
func TestIdleConnectionClosed(t *testing.T) {
	const idle = 400 * time.Millisecond
	cfg := Default()
	cfg.IdleTimeout = idle
	r := start(t, cfg)
	conn, err := net.Dial("tcp", strings.TrimPrefix(r.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	served := time.Now()
	conn.SetReadDeadline(time.Now().Add(idle + 5*time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("the server sent more")
	}
	if took := time.Since(served); took < idle*9/10 || took > idle+3*time.Second {
		t.Errorf("idle connection closed after %s, want about %s", took, idle)
	}
}

// TestBodyAndHeaderLimits: over-limit bodies answer 413 (the API with its JSON error, the
// dashboard with its error page) and over-limit headers 431, storing nothing.
func TestBodyAndHeaderLimits(t *testing.T) {
	cfg := Default()
	cfg.Env, cfg.Tokens = "production", []string{prodToken}
	cfg.MaxPayloadBytes, cfg.MaxHeaderBytes = 2000, 1024
	r := start(t, cfg)
	auth := http.Header{"Authorization": {"Bearer " + prodToken}, "Content-Type": {"application/json"}}
	payload := `"` + strings.Repeat("x", 2100) + `"`
	for name, body := range map[string]string{
		"a payload over MaxPayloadBytes":       `{"type":"send_email","payload":` + payload + `}`,
		"a body over the payload and envelope": `{"type":"send_email","payload":"x","pad":"` + strings.Repeat("y", 2000+admin.DefaultEnvelopeBytes) + `"}`,
	} {
		resp, b := postRaw(t, r.url+"/api/jobs", body, auth)
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(b, &e); resp.StatusCode != http.StatusRequestEntityTooLarge || e.Error.Code != admin.CodeTooLarge || e.Error.Message == "" {
			t.Errorf("%s: %d %s, want 413 %s", name, resp.StatusCode, trimBody(b), admin.CodeTooLarge)
		}
	}
	form := url.Values{"token": {prodToken}, "pad": {strings.Repeat("z", dashboard.DefaultMaxFormBytes)}}.Encode()
	resp, b := postRaw(t, r.url+dashboard.DefaultPath+"login", form, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || len(resp.Cookies()) != 0 {
		t.Errorf("an oversized sign-in form: %d (cookies %v) %s, want 413 and no session", resp.StatusCode, resp.Cookies(), trimBody(b))
	}
	// net/http allows MaxHeaderBytes plus 4 KiB of slack before it answers 431.
	big := http.Header{"Authorization": {"Bearer " + prodToken}, "X-Pad": {strings.Repeat("h", cfg.MaxHeaderBytes+8<<10)}}
	if resp, _ := postRaw(t, r.url+"/api/jobs", `{"type":"send_email"}`, big); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized headers: %d, want 431", resp.StatusCode)
	}
	if m, err := r.s.Client().Metrics(t.Context()); err != nil || m["MEDIUM"].Total != 0 {
		t.Errorf("a refused request stored a job: %+v %v", m["MEDIUM"], err)
	}
}

func postRaw(t *testing.T, u, body string, h http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}
