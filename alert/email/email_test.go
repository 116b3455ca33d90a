package email_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/alert"
	"github.com/slaqhq/slaq/alert/email"
	"github.com/slaqhq/slaq/internal/testenv"
)

func TestSendsToLocalSMTP(t *testing.T) {
	for _, c := range []struct{ name, user, pass string }{{"no auth", "", ""}, {"auth plain", "slaq", "smtp-pass"}} {
		t.Run(c.name, func(t *testing.T) {
			s := testenv.NewSMTPSink(t, c.user, c.pass)
			n, err := email.New(email.Options{Host: s.Host, Port: s.Port, TLS: "none", Username: c.user, Password: c.pass,
				From: "slaq@example.com", To: []string{"oncall@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			a := alert.Alert{Rule: alert.RuleDeadLetter, Key: "dead_letter:send_email", Summary: "job 3abc was dead-lettered", At: time.Now(),
				Window: 5 * time.Minute, Error: "smtp: 550", Job: &slaq.Job{ID: "3abc", Type: "send_email", Tier: slaq.Medium, Attempts: 2}}
			if err := n.Notify(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			m := <-s.Messages
			if m.User != c.user || m.From != "slaq@example.com" || len(m.To) != 1 || m.To[0] != "oncall@example.com" {
				t.Fatalf("envelope %+v", m)
			}
			for _, want := range []string{"Subject: [slaq] job 3abc was dead-lettered", "job type: send_email", "tier: MEDIUM", "job id: 3abc", "error: smtp: 550"} {
				if !strings.Contains(m.Data, want) {
					t.Errorf("message lacks %q:\n%s", want, m.Data)
				}
			}
			if c.user != "" {
				bad, _ := email.New(email.Options{Host: s.Host, Port: s.Port, TLS: "none", Username: c.user, Password: "wrong",
					From: "slaq@example.com", To: []string{"oncall@example.com"}})
				if err := bad.Notify(context.Background(), a); err == nil || strings.Contains(err.Error(), "wrong") {
					t.Errorf("a wrong password: %v, want an error that does not show the password", err)
				}
			}
			s.Close()
			if err := n.Notify(context.Background(), a); err == nil {
				t.Fatal("a send to a closed server succeeded")
			}
		})
	}
}
