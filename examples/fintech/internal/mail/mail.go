// Package mail sends the service's email: over SMTP with go-mail when SMTP_URL is set, else
// (in development) as .eml files in an outbox folder, one file per message.
package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// DefaultFrom is the sender address when none is configured.
const DefaultFrom = "Advancia Pay <no-reply@advanciapayledger.com>"

// DefaultTimeout bounds one SMTP send: 10 s.
const DefaultTimeout = 10 * time.Second

// Message is one email.
type Message struct {
	To      string
	Subject string
	Text    string // plain-text body
	HTML    string // optional HTML alternative
}

// Sender sends messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// New returns the sender for smtpURL, or, when it is empty, one writing .eml files into dir.
// smtpURL is smtp://[user:password@]host[:port][?tls=none|opportunistic|mandatory] (STARTTLS
// policy, default mandatory; port 587) or smtps://… (implicit TLS, port 465).
func New(smtpURL, dir, from string) (Sender, error) {
	if from == "" {
		from = DefaultFrom
	}
	if smtpURL == "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("mail: outbox folder: %w", err)
		}
		return &Dir{Path: dir, From: from}, nil
	}
	return ParseSMTP(smtpURL, from)
}

// SMTP sends over SMTP, one connection per message (go-mail), so concurrent workers send in
// parallel.
type SMTP struct {
	Host, Username, Password, From string
	Port                           int
	SSL                            bool
	TLS                            gomail.TLSPolicy
	Timeout                        time.Duration
}

// ParseSMTP reads an SMTP URL (see New).
func ParseSMTP(s, from string) (*SMTP, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP_URL: %w", err)
	}
	m := &SMTP{Host: u.Hostname(), From: from, Timeout: DefaultTimeout, TLS: gomail.TLSMandatory}
	switch u.Scheme {
	case "smtp":
		m.Port = 587
	case "smtps":
		m.Port, m.SSL = 465, true
	default:
		return nil, fmt.Errorf("mail: SMTP_URL scheme %q: want smtp or smtps", u.Scheme)
	}
	if m.Host == "" {
		return nil, errors.New("mail: SMTP_URL has no host")
	}
	if p := u.Port(); p != "" {
		if m.Port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("mail: SMTP_URL port: %w", err)
		}
	}
	if u.User != nil {
		m.Username = u.User.Username()
		m.Password, _ = u.User.Password()
	}
	switch t := u.Query().Get("tls"); t {
	case "", "mandatory":
	case "opportunistic":
		m.TLS = gomail.TLSOpportunistic
	case "none":
		m.TLS = gomail.NoTLS
	default:
		return nil, fmt.Errorf("mail: SMTP_URL tls=%q: want none, opportunistic or mandatory", t)
	}
	return m, nil
}

// Send sends m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(s.From, m)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.Port), gomail.WithTimeout(s.Timeout), gomail.WithTLSPolicy(s.TLS)}
	if s.SSL {
		opts = append(opts, gomail.WithSSL())
	}
	if s.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send to %s via %s:%d: %w", m.To, s.Host, s.Port, err)
	}
	return nil
}

// Dir writes each message as an .eml file into Path (development's outbox folder).
type Dir struct{ Path, From string }

// Send writes m to a new file in d.Path, named by time and a random suffix.
func (d *Dir) Send(_ context.Context, m Message) error {
	msg, err := build(d.From, m)
	if err != nil {
		return err
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := filepath.Join(d.Path, time.Now().UTC().Format("20060102T150405.000000000Z")+"-"+hex.EncodeToString(b[:])+".eml")
	tmp := name + ".tmp"
	if err := msg.WriteToFile(tmp); err != nil {
		return fmt.Errorf("mail: write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, name); err != nil { // readers never see half a message
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}

func build(from string, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("mail: from %q: %w", from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail: to %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
