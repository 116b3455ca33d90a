package httptarget_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/httptarget"
)

var secret = []byte("s3cret")

func job() *slaq.Job {
	return &slaq.Job{ID: "3abc", Type: "send_webhook", Tier: slaq.Medium, Attempts: 1, MaxAttempts: 3,
		CreatedAt: 1700000000000, Payload: []byte(`{"to":"a@b.c"}`)}
}

// receiver verifies every request with secret and answers with answer.
func receiver(t *testing.T, key []byte, answer func(w http.ResponseWriter, d *httptarget.Delivery)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := httptarget.ReadDelivery(r, key)
		if errors.Is(err, httptarget.ErrSignature) {
			http.Error(w, "bad signature: "+err.Error(), http.StatusUnauthorized)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		answer(w, d)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func handler(t *testing.T, url string, timeout time.Duration) *httptarget.Handler {
	h, err := httptarget.New(httptarget.Target{URL: url, Secret: secret, Timeout: timeout}, httptarget.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestStatusClasses(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		header    string
		permanent bool
		snooze    time.Duration
		ok        bool
	}{
		{"200", 200, "", false, 0, true},
		{"204", 204, "", false, 0, true},
		{"301 is an answer, not followed", 301, "", true, 0, false},
		{"400", 400, "", true, 0, false},
		{"404", 404, "", true, 0, false},
		{"408 retries", 408, "", false, 0, false},
		{"429 with Retry-After snoozes", 429, "7", false, 7 * time.Second, false},
		{"429 without Retry-After retries", 429, "", false, 0, false},
		{"503 with Retry-After snoozes", 503, "2", false, 2 * time.Second, false},
		{"503 with a huge Retry-After is capped", 503, "999999", false, httptarget.DefaultMaxRetryAfter, false},
		{"500 retries", 500, "", false, 0, false},
		{"502 with Retry-After retries", 502, "3", false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *httptarget.Delivery
			srv := receiver(t, secret, func(w http.ResponseWriter, d *httptarget.Delivery) {
				got = d
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				if tc.status == 301 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, "receiver says "+strings.Repeat("x", 5000))
			})
			err := handler(t, srv.URL, 0).ProcessJob(context.Background(), job())
			if got == nil || got.ID != "3abc" || got.Type != "send_webhook" || got.Tier != "MEDIUM" || got.Priority != 3 ||
				got.Attempt != 2 || got.MaxAttempts != 3 || got.CreatedAt != 1700000000000 || string(got.Payload) != `{"to":"a@b.c"}` {
				t.Fatalf("delivery %+v", got)
			}
			var sn *slaq.SnoozeError
			switch {
			case tc.ok:
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
			case tc.snooze > 0:
				if !errors.As(err, &sn) || sn.After != tc.snooze {
					t.Fatalf("err = %v, want a snooze of %s", err, tc.snooze)
				}
			default:
				if err == nil || errors.Is(err, slaq.ErrPermanent) != tc.permanent || errors.As(err, &sn) {
					t.Fatalf("err = %v, want permanent=%v", err, tc.permanent)
				}
				if !strings.Contains(err.Error(), "receiver says x") || len(err.Error()) > httptarget.DefaultMaxErrorBytes+200 {
					t.Fatalf("error text not recorded within the limit: %d bytes", len(err.Error()))
				}
			}
		})
	}
}

// TestBadSignature: a receiver with another secret refuses the request (401), a permanent
// failure naming the signature.
func TestBadSignature(t *testing.T) {
	srv := receiver(t, []byte("other"), func(w http.ResponseWriter, _ *httptarget.Delivery) { w.WriteHeader(200) })
	err := handler(t, srv.URL, 0).ProcessJob(context.Background(), job())
	if !errors.Is(err, slaq.ErrPermanent) || !strings.Contains(err.Error(), "bad signature") {
		t.Fatalf("err = %v", err)
	}
	body := []byte(`{"id":"x"}`)
	now := time.Unix(1700000000, 0)
	h := httptarget.Sign(secret, now, body)
	if err := httptarget.Verify(secret, h, body, now.Add(time.Minute), 0); err != nil {
		t.Fatalf("good signature refused: %v", err)
	}
	for name, c := range map[string]struct {
		header string
		body   []byte
		at     time.Time
	}{
		"tampered body": {h, []byte(`{"id":"y"}`), now},
		"replayed late": {h, body, now.Add(httptarget.DefaultTolerance + time.Second)},
		"malformed":     {"v1=abc", body, now},
		"empty":         {"", body, now},
	} {
		if err := httptarget.Verify(secret, c.header, c.body, c.at, 0); !errors.Is(err, httptarget.ErrSignature) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestSlowReceiver: an answer later than the target's timeout is a retry.
func TestSlowReceiver(t *testing.T) {
	release := make(chan struct{})
	srv := receiver(t, secret, func(w http.ResponseWriter, _ *httptarget.Delivery) {
		<-release
		w.WriteHeader(200)
	})
	defer close(release)
	start := time.Now()
	err := handler(t, srv.URL, 100*time.Millisecond).ProcessJob(context.Background(), job())
	if err == nil || errors.Is(err, slaq.ErrPermanent) || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

// TestNeverAnswers: a receiver that accepts the connection and never writes a byte; and a
// port nobody listens on. Both are retries.
func TestNeverAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	err = handler(t, "http://"+ln.Addr().String()+"/", 100*time.Millisecond).ProcessJob(context.Background(), job())
	if err == nil || errors.Is(err, slaq.ErrPermanent) {
		t.Fatalf("silent receiver: err = %v", err)
	}
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := dead.Addr().String()
	dead.Close()
	err = handler(t, "http://"+addr+"/", time.Second).ProcessJob(context.Background(), job())
	if err == nil || errors.Is(err, slaq.ErrPermanent) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("refused connection: err = %v", err)
	}
}

func TestNewChecks(t *testing.T) {
	for _, tg := range []httptarget.Target{{URL: "ftp://x", Secret: secret}, {URL: "http://x"}, {URL: "::", Secret: secret}} {
		if _, err := httptarget.New(tg, httptarget.Options{}); err == nil {
			t.Errorf("%+v accepted", tg)
		}
	}
}
