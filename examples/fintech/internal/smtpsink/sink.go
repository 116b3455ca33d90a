// Package smtpsink is an in-process SMTP server (go-smtp) that keeps what it receives: the
// mail server of the tests and of the load command.
package smtpsink

import (
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"

	"github.com/emersion/go-smtp"
)

// Message is one received email.
type Message struct {
	From    string
	To      []string
	Subject string
	Data    string // the whole message, headers included
}

// Sink is a running SMTP server on a loopback port.
type Sink struct {
	srv *smtp.Server
	ln  net.Listener

	mu   sync.Mutex
	msgs []Message
	subs []chan Message
}

// Start starts a sink on 127.0.0.1 on a free port.
func Start() (*Sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sink{ln: ln}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the SMTP_URL that reaches the sink (plain SMTP, no TLS).
func (s *Sink) URL() string { return "smtp://" + s.ln.Addr().String() + "?tls=none" }

// Close stops the sink.
func (s *Sink) Close() error { return s.srv.Close() }

// Messages returns what the sink received so far.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count returns how many messages the sink received.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Subscribe returns a channel that receives every message from now on (buffered by n).
func (s *Sink) Subscribe(n int) <-chan Message {
	c := make(chan Message, n)
	s.mu.Lock()
	s.subs = append(s.subs, c)
	s.mu.Unlock()
	return c
}

func (s *Sink) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	for _, c := range s.subs {
		select {
		case c <- m:
		default:
		}
	}
}

type backend struct{ s *Sink }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s *Sink
	m Message
}

func (x *session) Reset()        { x.m = Message{} }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.m.From = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.m.To = append(x.m.To, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.m.Data = string(b)
	if msg, err := mail.ReadMessage(strings.NewReader(x.m.Data)); err == nil {
		x.m.Subject = msg.Header.Get("Subject")
	}
	x.s.add(x.m)
	return nil
}
