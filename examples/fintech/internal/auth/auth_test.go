package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	iss, err := New(strings.Repeat("s", 32))
	if err != nil {
		t.Fatal(err)
	}
	good, _ := iss.Sign(User{ID: 7, Role: "admin"}, time.Hour)
	u, err := iss.Parse(good)
	if err != nil || u.ID != 7 || u.Role != "admin" {
		t.Fatalf("good token: %+v %v", u, err)
	}
	past := *iss
	past.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expired, _ := past.Sign(User{ID: 7}, time.Hour)
	other, _ := New(strings.Repeat("o", 32))
	forged, _ := other.Sign(User{ID: 7, Role: "admin"}, time.Hour)
	for name, tok := range map[string]string{"expired": expired, "other secret": forged, "garbage": "a.b.c", "empty": ""} {
		if _, err := iss.Parse(tok); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: %v, want ErrUnauthorized", name, err)
		}
	}
	if _, err := New("short"); err == nil {
		t.Fatal("a short secret was accepted")
	}
}
