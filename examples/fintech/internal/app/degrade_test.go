package app

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// When the queue is unreachable, forgot-password still answers 200 and the email goes out
// directly from the request (slaq's DegradeDirect, the guide's fallback), and the service
// says so in its log and in /metrics.
func TestForgotPasswordSendsDirectlyWhenQueueIsDown(t *testing.T) {
	t.Parallel()
	ru, err := url.Parse(redisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, ru.Host)
	ru.Host = p.addr()
	logs := &syncBuffer{}
	e := newEnv(t, opts{backend: "redis", redisURL: ru.String(), log: logs})

	if code, _ := e.do("POST", "/api/auth/forgot-password", "", `{"email":"user3@example.com"}`); code != 200 {
		t.Fatalf("with the queue up: %d", code)
	}
	e.waitMail("Reset your Advancia Pay password", 1)
	if e.app.Client.DurableStats().RanDirect != 0 {
		t.Fatal("a direct run with the queue up")
	}

	p.setUp(false) // Redis unreachable: connections cut, new ones refused
	start := time.Now()
	code, out := e.do("POST", "/api/auth/forgot-password", "", `{"email":"user4@example.com"}`)
	if code != 200 || out["success"] != true {
		t.Fatalf("with the queue down: %d %v", code, out)
	}
	took := time.Since(start)
	got := false
	for _, m := range e.sink.Messages() {
		got = got || (len(m.To) == 1 && m.To[0] == "user4@example.com")
	}
	if !got {
		t.Fatal("the reset email was not sent by the time the request was answered")
	}
	if n := e.app.Client.DurableStats().RanDirect; n != 1 {
		t.Fatalf("ran directly %d times, want 1", n)
	}
	waitFor(t, 5*time.Second, "the direct send in the log and the metrics", func() bool {
		_, m := e.do("GET", "/metrics", "", "")
		return strings.Contains(logs.String(), "queue unavailable, sent directly") &&
			strings.Contains(m["_raw"].(string), `fintech_jobs_ran_direct_total{type="send_password_reset"} 1`)
	})
	if code, _ := e.do("GET", "/healthz", "", ""); code != 503 {
		t.Fatalf("healthz with the queue down: %d, want 503", code)
	}
	t.Logf("answered in %s with the queue down", took.Round(time.Millisecond))

	p.setUp(true)
	waitFor(t, 10*time.Second, "the queue back", func() bool {
		code, _ := e.do("POST", "/api/auth/send-otp", "", `{"email":"back@example.com"}`)
		return code == 200 && !e.app.Client.Degraded()
	})
}
