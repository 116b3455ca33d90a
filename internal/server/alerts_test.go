package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/prom"
)

// TestDeadLetterSendsOneEmail: under `slaq serve` with the email notifier declared in the
// config file (the SMTP password from the environment variable the file names), jobs of a
// type that dead-letters send one email for the window, to a local SMTP server, signed in
// with that password.
func TestDeadLetterSendsOneEmail(t *testing.T) {
	const password = "smtp-pass-6d1f0b"
	t.Setenv("SLAQ_TEST_SMTP_PASSWORD", password)
	sink := testenv.NewSMTPSink(t, "slaq", password)
	cfg := Default()
	err := cfg.ApplyFile(writeFile(t, fmt.Sprintf(`job_types:
  doomed: {tier: HIGH, attempts: 1}   # no handler in this server: each one dead-letters at once
alerts:
  dead_letter: {window: 10m}
  dead_letter_threshold: {off: true}
  email: {host: 127.0.0.1, port: %d, tls: none, username: slaq, password_env: SLAQ_TEST_SMTP_PASSWORD,
          from: slaq@example.com, to: [oncall@example.com]}
`, sink.Port)))
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, cfg)
	var ids []string
	for range 3 {
		status, m := r.post("/api/jobs", `{"type":"doomed","payload":{"n":1}}`)
		if status != http.StatusCreated {
			t.Fatalf("enqueue: %d %v", status, m)
		}
		ids = append(ids, m["id"].(string))
	}
	for _, id := range ids {
		testenv.PollUntil(t, 20*time.Second, "dead letter "+id, func() bool {
			_, err := r.s.Backend().DeadLetters.Get(t.Context(), id)
			return err == nil
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.s.ops.alerts.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var msg testenv.SMTPMessage
	select {
	case msg = <-sink.Messages:
	default:
		t.Fatalf("no email after the dead letters (alert stats %+v)", r.s.ops.alerts.Stats())
	}
	if msg.User != "slaq" || msg.From != "slaq@example.com" || strings.Join(msg.To, ",") != "oncall@example.com" {
		t.Errorf("envelope %+v", msg)
	}
	for _, want := range []string{"Subject: [slaq] job ", "dead-lettered", "job type: doomed", "tier: HIGH", "unknown job type"} {
		if !strings.Contains(msg.Data, want) {
			t.Errorf("the email lacks %q:\n%s", want, msg.Data)
		}
	}
	select {
	case m := <-sink.Messages:
		t.Errorf("a second email for the same window:\n%s", m.Data)
	default:
	}
	if s := r.s.ops.alerts.Stats(); s.Fired != 1 || s.Delivered < 2 { // the log and the email
		t.Errorf("alert stats %+v, want 1 fired, delivered to the log and by email", s)
	}
}

// TestMetricsProtection: /metrics needs the admin token outside development unless the
// file says metrics: {public: true}; in development it is open unless the file closes it.
func TestMetricsProtection(t *testing.T) {
	for _, c := range []struct {
		env, file string
		public    bool
	}{
		{"production", "", false},
		{"production", "metrics: {public: true}\n", true},
		{"development", "", true},
		{"development", "metrics: {public: false}\n", false},
	} {
		t.Run(c.env+" "+strings.TrimSpace(c.file), func(t *testing.T) {
			cfg := Default()
			cfg.Env, cfg.Tokens = c.env, []string{prodToken}
			if c.file != "" {
				if err := cfg.ApplyFile(writeFile(t, c.file)); err != nil {
					t.Fatal(err)
				}
			}
			_, base := handlerServer(t, cfg)
			resp, body := (request{"GET", base + "/metrics", nil}).do(t)
			if c.public != (resp.StatusCode == http.StatusOK) {
				t.Fatalf("without a token: %d, want public %v", resp.StatusCode, c.public)
			}
			if !c.public {
				if why := refused("/metrics", resp, body); why != "" {
					t.Errorf("without a token: %s", why)
				}
				if strings.Contains(string(body), prom.MetricEnqueued) {
					t.Error("a refusal carries metrics")
				}
			}
			resp, body = (request{"GET", base + "/metrics", http.Header{"Authorization": {"Bearer " + prodToken}}}).do(t)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), prom.MetricWaiting) {
				t.Errorf("with the token: %d, metrics %v", resp.StatusCode, strings.Contains(string(body), prom.MetricWaiting))
			}
		})
	}
}

// post sends body to path with the server's token and decodes the JSON answer.
func (r *running) post(path, body string) (int, map[string]any) {
	r.t.Helper()
	req, _ := http.NewRequestWithContext(r.t.Context(), "POST", r.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}
