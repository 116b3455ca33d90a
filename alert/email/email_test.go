package email_test

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/alert"
	"github.com/slaqhq/slaq/alert/email"
)

type message struct {
	from string
	to   []string
	data string
}

// sink is an in-process SMTP server keeping what it receives.
type sink struct{ got chan message }

func (s sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s sink
	m message
}

func (x *session) Reset()        {}
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.m.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.m.to = append(x.m.to, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	x.m.data = string(b)
	x.s.got <- x.m
	return err
}

func TestSendsToLocalSMTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := sink{got: make(chan message, 1)}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	n, err := email.New(email.Options{Host: "127.0.0.1", Port: port, TLS: "none", From: "slaq@example.com", To: []string{"oncall@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	a := alert.Alert{Rule: alert.RuleDeadLetter, Key: "dead_letter:send_email", Summary: "job 3abc was dead-lettered", At: time.Now(),
		Window: 5 * time.Minute, Error: "smtp: 550", Job: &slaq.Job{ID: "3abc", Type: "send_email", Tier: slaq.Medium, Attempts: 2}}
	if err := n.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	m := <-s.got
	if m.from != "slaq@example.com" || len(m.to) != 1 || m.to[0] != "oncall@example.com" {
		t.Fatalf("envelope %+v", m)
	}
	for _, want := range []string{"Subject: [slaq] job 3abc was dead-lettered", "job type: send_email", "tier: MEDIUM", "job id: 3abc", "error: smtp: 550"} {
		if !strings.Contains(m.data, want) {
			t.Errorf("message lacks %q:\n%s", want, m.data)
		}
	}
	srv.Close()
	if err := n.Notify(context.Background(), a); err == nil {
		t.Fatal("a send to a closed server succeeded")
	}
}
