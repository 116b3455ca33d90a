package sentry_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/alert"
	"github.com/slaqhq/slaq/alert/sentry"
)

// TestAgainstLocalDSN: a local endpoint stands in for Sentry; the event arrives with the
// guide's tags, and an endpoint that answers 500 is an error to retry.
func TestAgainstLocalDSN(t *testing.T) {
	var fail atomic.Bool
	got := make(chan map[string]any, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", 500)
			return
		}
		if !strings.HasSuffix(r.URL.Path, "/api/42/envelope/") {
			t.Errorf("path %s", r.URL.Path)
		}
		body, _ := io.ReadAll(r.Body)
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(nil, 1<<20)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		var ev map[string]any
		if len(lines) < 3 || json.Unmarshal([]byte(lines[2]), &ev) != nil {
			t.Errorf("not an envelope: %q", body)
		}
		got <- ev
		w.WriteHeader(200)
	}))
	defer srv.Close()
	t.Setenv("SENTRY_DSN", strings.Replace(srv.URL, "http://", "http://public@", 1)+"/42")
	n, err := sentry.New(sentry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := alert.Alert{Rule: alert.RuleDeadLetter, Key: "dead_letter:send_email", Summary: "job 3abc dead", Error: "smtp: 550",
		Job: &slaq.Job{ID: "3abc", Type: "send_email", Tier: slaq.Medium, Attempts: 2, Payload: []byte(`{"to":"a@b.c"}`)}}
	if err := n.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	ev := <-got
	tags, _ := ev["tags"].(map[string]any)
	ctxs, _ := ev["contexts"].(map[string]any)
	extra, _ := ctxs["job"].(map[string]any)
	if tags["jobType"] != "send_email" || tags["priority"] != "3" || tags["jobId"] != "3abc" || extra["jobData"] != `{"to":"a@b.c"}` || extra["attempts"] != 2.0 {
		t.Fatalf("event tags %v extra %v", tags, extra)
	}
	fail.Store(true)
	if err := n.Notify(context.Background(), a); err == nil {
		t.Fatal("a 500 from Sentry was not an error")
	}
}

func TestNoDSN(t *testing.T) {
	t.Setenv("SENTRY_DSN", "")
	if _, err := sentry.New(sentry.Options{}); err != sentry.ErrNoDSN {
		t.Fatalf("err = %v", err)
	}
}
