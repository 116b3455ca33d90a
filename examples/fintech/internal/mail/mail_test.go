package mail

import (
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// In development, each message is one .eml file in the outbox folder that mail readers open.
func TestDirWritesEML(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "outbox")
	s, err := New("", dir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"a@example.com", "b@example.com"} {
		if err := s.Send(context.Background(), Message{To: to, Subject: "Hello " + to, Text: "body"}); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 2 {
		t.Fatalf("%d .eml files, want 2", len(files))
	}
	f, _ := os.Open(files[0])
	defer f.Close()
	m, err := mail.ReadMessage(f)
	if err != nil || !strings.HasPrefix(m.Header.Get("Subject"), "Hello ") || m.Header.Get("From") == "" {
		t.Fatalf("%v %v", m.Header, err)
	}
	if err := s.Send(context.Background(), Message{To: "not an address", Subject: "x"}); err == nil {
		t.Fatal("a bad recipient was accepted")
	}
}

func TestParseSMTP(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"smtp://mail.example.com":            "mail.example.com:587 ssl=false",
		"smtp://u:p@127.0.0.1:2525?tls=none": "127.0.0.1:2525 ssl=false",
		"smtps://mail.example.com":           "mail.example.com:465 ssl=true",
		"smtp://h:25?tls=opportunistic":      "h:25 ssl=false",
	}
	for u, want := range good {
		s, err := ParseSMTP(u, "a@b.c")
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if got := s.Host + ":" + strconv.Itoa(s.Port) + " ssl=" + map[bool]string{true: "true", false: "false"}[s.SSL]; got != want {
			t.Errorf("%s: %s, want %s", u, got, want)
		}
	}
	for _, u := range []string{"http://h", "smtp://", "smtp://h:x", "smtp://h?tls=maybe"} {
		if _, err := ParseSMTP(u, "a@b.c"); err == nil {
			t.Errorf("%s was accepted", u)
		}
	}
}
