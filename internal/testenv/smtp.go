package testenv

import (
	"errors"
	"io"
	"net"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPMessage is one message an [SMTPSink] received.
type SMTPMessage struct {
	User string   // who authenticated ("" without AUTH)
	From string   // the envelope sender
	To   []string // the envelope recipients
	Data string   // the message, headers and body
}

// SMTPSink is an in-process SMTP server (emersion/go-smtp) on a loopback port, the local
// stand-in for a mail relay: it keeps every message it receives in Messages. Created with a
// username, it offers AUTH PLAIN, accepts only that username and password (over plain TCP:
// the client is on loopback) and refuses mail before authentication.
type SMTPSink struct {
	Host     string // "127.0.0.1"
	Port     int
	Messages chan SMTPMessage // buffered (100)
	srv      *smtp.Server
	user     string
	pass     string
}

// NewSMTPSink starts a sink, stopped when the test ends. username "" means no AUTH.
func NewSMTPSink(t testing.TB, username, password string) *SMTPSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPSink{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Messages: make(chan SMTPMessage, 100),
		user: username, pass: password}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(s.Close)
	return s
}

// Close stops the sink; sends after it fail.
func (s *SMTPSink) Close() { _ = s.srv.Close() }

// NewSession is the go-smtp backend's constructor of one connection's session.
func (s *SMTPSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{sink: s}, nil }

type smtpSession struct {
	sink *SMTPSink
	user string
	m    SMTPMessage
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}

func (x *smtpSession) AuthMechanisms() []string {
	if x.sink.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.sink.user || pass != x.sink.pass {
			return errors.New("invalid credentials")
		}
		x.user = user
		return nil
	}), nil
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if x.sink.user != "" && x.user == "" {
		return errAuthRequired
	}
	x.m = SMTPMessage{User: x.user, From: from}
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.m.To = append(x.m.To, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.m.Data = string(b)
	x.sink.Messages <- x.m
	return nil
}

func (x *smtpSession) Reset()        { x.m = SMTPMessage{} }
func (x *smtpSession) Logout() error { return nil }
