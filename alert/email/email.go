// Package email sends slaq alerts by email over SMTP (go-mail).
package email

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/slaqhq/slaq/alert"
)

// Defaults of [Options].
const (
	// DefaultPort is the SMTP submission port: 587.
	DefaultPort = 587
	// DefaultTimeout bounds one send: 10 s.
	DefaultTimeout = 10 * time.Second
	// DefaultSubjectPrefix starts every subject: "[slaq] ".
	DefaultSubjectPrefix = "[slaq] "
)

// Options configure a [Notifier]. Host, From and To are required.
type Options struct {
	Host     string
	Port     int      // default DefaultPort
	Username string   // with Password: SMTP AUTH PLAIN; default none
	Password string   //
	From     string   // the sender address
	To       []string // the recipients
	// TLS is "mandatory" (STARTTLS required, the default), "opportunistic" or "none"
	// (plain, e.g. a local relay).
	TLS           string
	Timeout       time.Duration // default DefaultTimeout
	SubjectPrefix string        // default DefaultSubjectPrefix
}

// Notifier mails every alert to Options.To.
type Notifier struct{ o Options }

// New checks o and returns a notifier.
func New(o Options) (*Notifier, error) {
	if o.Host == "" || o.From == "" || len(o.To) == 0 {
		return nil, errors.New("email: host, from and to are required")
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.SubjectPrefix == "" {
		o.SubjectPrefix = DefaultSubjectPrefix
	}
	switch o.TLS {
	case "", "mandatory", "opportunistic", "none":
	default:
		return nil, fmt.Errorf("email: tls %q: want mandatory, opportunistic or none", o.TLS)
	}
	return &Notifier{o: o}, nil
}

// Name is "email".
func (*Notifier) Name() string { return "email" }

// Notify sends one message for a.
func (n *Notifier) Notify(ctx context.Context, a alert.Alert) error {
	m := mail.NewMsg()
	if err := m.From(n.o.From); err != nil {
		return fmt.Errorf("email: from: %w", err)
	}
	if err := m.To(n.o.To...); err != nil {
		return fmt.Errorf("email: to: %w", err)
	}
	m.Subject(n.o.SubjectPrefix + a.Summary)
	m.SetBodyString(mail.TypeTextPlain, body(a))
	opts := []mail.Option{mail.WithPort(n.o.Port), mail.WithTimeout(n.o.Timeout)}
	switch n.o.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "opportunistic":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if n.o.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(n.o.Username), mail.WithPassword(n.o.Password))
	}
	c, err := mail.NewClient(n.o.Host, opts...)
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("email: send to %s:%d: %w", n.o.Host, n.o.Port, err)
	}
	return nil
}

func body(a alert.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nrule: %s\nat: %s\n", a.Summary, a.Rule, a.At.UTC().Format(time.RFC3339))
	if j := a.Job; j != nil {
		fmt.Fprintf(&b, "job type: %s\ntier: %s (priority %d)\njob id: %s\nattempts: %d\n", j.Type, j.Tier, int(j.Tier), j.ID, j.Attempts)
	}
	if a.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", a.Error)
	}
	if a.Count > 0 {
		fmt.Fprintf(&b, "dead letters in %s: %d\n", a.Window, a.Count)
	}
	fmt.Fprintf(&b, "\nNo other alert of this kind (%s) is sent for %s.\n", a.Key, a.Window)
	return b.String()
}
