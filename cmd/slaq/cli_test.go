package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store"
)

// addDead writes n dead jobs of typ into the dead-letter queue at dsn and returns their ids.
func addDead(t *testing.T, dsn, typ string, tier slaq.Tier, n int) []string {
	t.Helper()
	db := testenv.OpenDLQ(t, dsn)
	now := time.Now().Add(-time.Hour).UnixMilli()
	jobs := make([]*store.Job, n)
	ids := make([]string, n)
	for i := range jobs {
		at := now + int64(i)
		jobs[i] = &store.Job{ID: store.NewID(tier, at), Type: typ, Tier: tier, Payload: []byte(`{}`), State: store.StateFailed,
			Attempts: 1, MaxAttempts: 1, CreatedAt: at - 1, FinishedAt: at, LastError: "boom\nstack"}
		ids[i] = jobs[i].ID
	}
	if err := db.Add(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	return ids
}

// operate runs every operator command against one target (given by base: --server and
// --token, or the direct-mode flags) and checks their output and exit codes. dsn is the
// target's dead-letter database, to seed it.
func operate(t *testing.T, base []string, dsn string) {
	run := func(args ...string) string { t.Helper(); return must(t, append(args, base...)...) }
	fails := func(code int, args ...string) (string, string) {
		t.Helper()
		return exits(t, code, append(args, base...)...)
	}

	// enqueue, then get.
	id := strings.TrimSpace(run("enqueue", "send_email", "--priority", "medium", "--payload", `{"to":"a@example.com"}`, "--attempts", "4"))
	if len(id) != store.IDLen || id[0] != '3' {
		t.Fatalf("enqueue printed %q", id)
	}
	out := run("jobs", "get", id)
	for _, want := range []string{id, "send_email", "MEDIUM", "waiting", "0 of 4", `{"to":"a@example.com"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("jobs get lacks %q:\n%s", want, out)
		}
	}
	var got struct{ Job struct{ ID, State string } }
	if err := json.Unmarshal([]byte(run("jobs", "get", id, "--json")), &got); err != nil || got.Job.ID != id {
		t.Errorf("jobs get --json: %+v %v", got, err)
	}
	delayed := strings.TrimSpace(run("enqueue", "generate_report", "-p", "4", "--delay", "1h", "--idempotency-key", "r1"))
	if again := strings.TrimSpace(run("enqueue", "generate_report", "-p", "4", "--delay", "1h", "--idempotency-key", "r1")); again != delayed {
		t.Errorf("idempotency key: %s then %s", delayed, again)
	}
	var enq struct{ ID string }
	if json.Unmarshal([]byte(run("enqueue", "cleanup", "-p", "batch", "--json")), &enq); enq.ID == "" {
		t.Error("enqueue --json: no id")
	}
	if _, _, code := cli(t, `{"from":"stdin"}`, append([]string{"enqueue", "x", "--payload", "-"}, base...)...); code != 0 {
		t.Errorf("enqueue --payload -: exit %d", code)
	}
	fails(exitUsage, "enqueue", "x", "--priority", "urgent")
	fails(exitUsage, "enqueue", "x", "--payload", "{not json")
	fails(exitUsage, "enqueue")
	fails(exitNotFound, "jobs", "get", "3NOSUCHJOB")

	// stats: a table, JSON, and --watch.
	out = run("stats")
	if !strings.Contains(out, "TIER") || !strings.Contains(out, "MEDIUM") || !strings.Contains(out, "WITHIN SLA") {
		t.Errorf("stats:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 6 || !strings.HasPrefix(lines[3], "MEDIUM") || !strings.Contains(lines[3], " 2 ") {
		t.Errorf("stats MEDIUM row (2 waiting): %q", lines)
	}
	var m struct {
		Success bool
		Metrics map[string]struct{ Waiting, Delayed int64 }
	}
	if err := json.Unmarshal([]byte(run("stats", "--json")), &m); err != nil || !m.Success || m.Metrics["LOW"].Delayed != 1 {
		t.Errorf("stats --json: %+v %v", m, err)
	}
	if w := run("stats", "--watch", "--count", "3", "--interval", "10ms", "--json"); strings.Count(w, "\n") != 3 {
		t.Errorf("stats --watch --count 3 printed %d lines", strings.Count(w, "\n"))
	}

	// pause and resume.
	if out := run("pause", "batch"); strings.TrimSpace(out) != "BATCH paused" {
		t.Errorf("pause: %q", out)
	}
	if !strings.Contains(run("stats"), "PAUSED") {
		t.Error("stats does not show BATCH paused")
	}
	if out := run("resume", "5"); strings.TrimSpace(out) != "BATCH resumed" {
		t.Errorf("resume: %q", out)
	}
	fails(exitUsage, "pause", "urgent")
	fails(exitUsage, "pause")

	// jobs list and cancel.
	if out := run("jobs", "list", "--tier", "low", "--state", "delayed"); !strings.Contains(out, delayed) {
		t.Errorf("jobs list --tier low --state delayed:\n%s", out)
	}
	fails(exitUsage, "jobs", "list")
	if _, _, code := cli(t, "", append([]string{"jobs", "cancel", delayed}, base...)...); code != 0 {
		t.Errorf("jobs cancel %s: exit %d", delayed, code)
	}
	fails(exitNotFound, "jobs", "cancel", delayed)

	// dead letters: list, retry one, retry all with a progress bar, delete, purge.
	mail := addDead(t, dsn, "send_email", slaq.Medium, 3)
	bulk := addDead(t, dsn, "send_bulk_emails", slaq.Batch, 150)
	out = run("dlq", "list", "--type", "send_email")
	if !strings.Contains(out, mail[0]) || !strings.Contains(out, "boom") || strings.Contains(out, "stack") {
		t.Errorf("dlq list:\n%s", out)
	}
	var page struct {
		Total int64
	}
	json.Unmarshal([]byte(run("dlq", "list", "--tier", "batch", "--limit", "10", "--json")), &page)
	if page.Total != 150 {
		t.Errorf("dlq list --tier batch: total %d", page.Total)
	}
	if out := run("dlq", "retry", mail[0]); !strings.Contains(out, "retried 1") {
		t.Errorf("dlq retry: %q", out)
	}
	if out := run("jobs", "get", mail[0]); !strings.Contains(out, "waiting") {
		t.Errorf("retried job:\n%s", out)
	}
	_, errOut := fails(exitFailure, "dlq", "retry", mail[0], mail[1])
	if !strings.Contains(errOut, mail[0]) || !strings.Contains(errOut, "not_found") {
		t.Errorf("retry of a gone dead letter: %s", errOut)
	}
	out, errOut, code := cli(t, "", append([]string{"dlq", "retry", "--all", "--type", "send_bulk_emails"}, base...)...)
	if code != 0 || !strings.Contains(out, "retried 150") || !strings.Contains(errOut, "retrying dead letters: 150/150 (100%)") {
		t.Errorf("dlq retry --all: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(run("jobs", "get", bulk[149]), "waiting") {
		t.Error("bulk dead letter not waiting after retry --all")
	}
	fails(exitUsage, "dlq", "retry")
	fails(exitUsage, "dlq", "retry", "x", "--all")
	fails(exitUsage, "dlq", "retry", "x", "--type", "t")
	fails(exitUsage, "dlq", "list", "--since", "last week")
	more := addDead(t, dsn, "export", slaq.Low, 2)
	if out := run("dlq", "delete", more[0]); !strings.Contains(out, "deleted 1") {
		t.Errorf("dlq delete: %q", out)
	}
	fails(exitNotFound, "dlq", "delete", more[0])
	if out := run("dlq", "purge", "--older-than", "1m"); !strings.Contains(out, "purged 2") {
		t.Errorf("dlq purge: %q", out) // mail[2] and more[1] are left; mail[1] was retried beside the failed mail[0]
	}
	fails(exitUsage, "dlq", "purge")
	fails(exitUsage, "dlq", "purge", "--before", "someday")
}

func TestCLIAgainstServer(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	prefix := testenv.RedisPrefix(t)
	p := serve(t, []string{"SLAQ_ENV=production", "ADMIN_TOKEN=cli-token,second", "REDIS_URL=redis://" + testenv.RedisAddr(),
		"DATABASE_URL=" + dsn}, "--redis-prefix", prefix)
	operate(t, []string{"--server", p.url, "--token", "cli-token"}, dsn)

	exits(t, exitUnauthorized, "stats", "--server", p.url, "--token", "wrong")
	t.Setenv("SLAQ_TOKEN", "second")
	must(t, "stats", "--server", p.url)
	t.Setenv("SLAQ_TOKEN", "")
	exits(t, exitUsage, "stats", "--server", p.url)
	exits(t, exitFailure, "stats", "--server", "http://127.0.0.1:1", "--token", "x")
	exits(t, exitUsage, "migrate", "--server", p.url)
}

func TestCLIDirect(t *testing.T) {
	dir := t.TempDir()
	base := []string{"--data-dir", dir}
	out := must(t, append([]string{"migrate"}, base...)...)
	if !strings.Contains(out, filepath.Join(dir, "slaq.db")) || !strings.Contains(out, "dead-letters.db") {
		t.Errorf("migrate: %s", out)
	}
	// --outbox creates the outbox table in an application database.
	app := filepath.Join(dir, "app.db")
	if out := must(t, append([]string{"migrate", "--outbox", app}, base...)...); !strings.Contains(out, "outbox:") {
		t.Errorf("migrate --outbox: %s", out)
	}
	db, err := sql.Open("sqlite", app)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM slaq_outbox`).Scan(&n); err != nil || n != 0 {
		t.Errorf("slaq_outbox after migrate --outbox: %d rows, %v", n, err)
	}
	operate(t, base, filepath.Join(dir, "dead-letters.db"))
}

// TestCLIDirectBesideServer: a direct-mode command and a server share the embedded store's
// file: a pause made by the CLI shows in the server's metrics.
func TestCLIDirectBesideServer(t *testing.T) {
	dir := t.TempDir()
	p := serve(t, nil, "--data-dir", dir, "--workers=false")
	must(t, "pause", "high", "--data-dir", dir)
	out := must(t, "stats", "--server", p.url, "--token", p.token)
	if !strings.Contains(out, "PAUSED") {
		t.Errorf("server does not see the CLI's pause:\n%s", out)
	}
	id := strings.TrimSpace(must(t, "enqueue", "send_otp", "-p", "1", "--server", p.url, "--token", p.token))
	if !strings.Contains(must(t, "jobs", "get", id, "--data-dir", dir), "waiting") {
		t.Error("CLI does not see the server's job")
	}
}

// TestDevelopmentTestJobsComplete: the guide's curl test, through the binary.
func TestDevelopmentTestJobsComplete(t *testing.T) {
	p := serve(t, nil, "--data-dir", t.TempDir())
	for _, kind := range []string{"otp", "report"} {
		a := &api{base: p.url, token: p.token, hc: httpClient(), where: p.url}
		var r struct{ ID string }
		if _, err := a.call(context.Background(), "POST", "/api/jobs/test/"+kind, nil, &r); err != nil {
			t.Fatal(err)
		}
		testenv.PollUntil(t, 10*time.Second, kind+" job completed", func() bool {
			out, _, code := cli(t, "", "jobs", "get", r.ID, "--server", p.url, "--token", p.token)
			return code == 0 && strings.Contains(out, "completed")
		})
	}
	if !strings.Contains(p.err.String(), "OTP email sent") {
		t.Errorf("no development log line:\n%s", p.err)
	}
}

func TestHelpAndUsage(t *testing.T) {
	root := newRootCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		cmds := append(c.Commands(), c)
		for _, sc := range cmds {
			if sc.Short == "" {
				t.Errorf("%s has no short help", sc.CommandPath())
			}
			if sc.Runnable() && sc.Example == "" && sc.Name() != "bench" {
				t.Errorf("%s has no example", sc.CommandPath())
			}
		}
	}
	out := must(t, "--help")
	for _, c := range []string{"serve", "migrate", "stats", "pause", "resume", "jobs", "dlq", "enqueue", "bench", "Exit codes"} {
		if !strings.Contains(out, c) {
			t.Errorf("slaq --help lacks %s", c)
		}
	}
	if out := must(t, "serve", "--help"); !strings.Contains(out, "ADMIN_TOKEN") || !strings.Contains(out, "--grace") {
		t.Errorf("serve --help:\n%s", out)
	}
	exits(t, exitUsage, "bogus")
	exits(t, exitUsage, "stats", "--bogus")
	exits(t, exitUsage, "stats", "extra-arg")
	exits(t, exitUsage, "stats", "--config", filepath.Join(t.TempDir(), "none.yaml"))
}

func TestLoadCommand(t *testing.T) {
	p := serve(t, nil, "--data-dir", t.TempDir(), "--workers=false")
	out := must(t, "load", "--url", p.url, "--token", p.token, "--clients", "2", "--duration", "300ms", "--warmup", "0",
		"--probe", "/api/jobs/metrics", "--json")
	var r struct {
		Main, Probe struct{ Requests, Errors int64 }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Main.Requests == 0 || r.Main.Errors != 0 || r.Probe.Requests == 0 {
		t.Errorf("load: %s (%v)", out, err)
	}
	out = must(t, "load", "--url", p.url, "--token", p.token, "--clients", "1", "--duration", "100ms", "--warmup", "0")
	if !strings.Contains(out, "PER SEC") || !strings.Contains(out, "POST /api/jobs") {
		t.Errorf("load table:\n%s", out)
	}
	exits(t, exitUsage, "load")
	exits(t, exitUsage, "load", "--url", p.url, "--body", "{")
}
