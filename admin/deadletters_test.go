package admin_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
)

type dlPage struct {
	Success     bool
	DeadLetters []struct {
		JobID    string `json:"job_id"`
		Type     string
		Tier     string
		Error    string
		FailedAt int64 `json:"failed_at"`
	} `json:"dead_letters"`
	Total      int64
	NextOffset int `json:"next_offset"`
}

type retried struct {
	Success   bool
	Retried   []string
	Errors    []struct{ ID, Code, Message string }
	Remaining int64
}

func TestDeadLetterBrowse(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			e := newEnv(t, b, nil, nil)
			base := time.Now().Add(-time.Hour).UnixMilli()
			emails := e.addDead("send_email", slaq.Medium, 5, base)
			hooks := e.addDead("webhook_cryptomus", slaq.High, 3, base+100)
			var p dlPage
			e.ok("GET", "/api/jobs/dead-letters", "", 200, &p)
			if !p.Success || p.Total != 8 || len(p.DeadLetters) != 8 || p.NextOffset != 0 || p.DeadLetters[0].JobID != hooks[2] {
				t.Fatalf("all: %+v", p)
			}
			e.ok("GET", "/api/jobs/dead-letters?type=send_email&limit=2", "", 200, &p)
			if p.Total != 5 || len(p.DeadLetters) != 2 || p.NextOffset != 2 || p.DeadLetters[0].JobID != emails[4] {
				t.Fatalf("page 1: %+v", p)
			}
			var seen []string
			for off := 0; ; {
				e.ok("GET", fmt.Sprintf("/api/jobs/dead-letters?type=send_email&limit=2&offset=%d", off), "", 200, &p)
				for _, d := range p.DeadLetters {
					seen = append(seen, d.JobID)
				}
				if off = p.NextOffset; off == 0 {
					break
				}
			}
			if len(seen) != 5 {
				t.Errorf("paged %d entries, want 5", len(seen))
			}
			e.ok("GET", "/api/jobs/dead-letters?tier=high", "", 200, &p)
			if p.Total != 3 || p.DeadLetters[0].Tier != "HIGH" {
				t.Errorf("tier filter: %+v", p)
			}
			e.ok("GET", fmt.Sprintf("/api/jobs/dead-letters?since=%d&until=%d", base+1, base+4), "", 200, &p)
			if p.Total != 3 {
				t.Errorf("time filter: %d entries, want 3", p.Total)
			}
			var one struct {
				Success    bool
				DeadLetter struct {
					JobID string `json:"job_id"`
					Error string
				} `json:"dead_letter"`
			}
			e.ok("GET", "/api/jobs/dead-letters/"+emails[0], "", 200, &one)
			if one.DeadLetter.JobID != emails[0] || one.DeadLetter.Error != "boom" {
				t.Errorf("get: %+v", one)
			}
			e.fails("GET", "/api/jobs/dead-letters/3NOPE", "", 404, admin.CodeNotFound)
			for _, q := range []string{"tier=7", "limit=0", "offset=-1", "since=yesterday", "until=-3"} {
				status, body := e.do("GET", "/api/jobs/dead-letters?"+q, "")
				if status != 400 {
					t.Errorf("?%s: %d %s", q, status, body)
				}
			}
		})
	}
}

func TestDeadLetterRetry(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			e := newEnv(t, b, nil, nil)
			base := time.Now().Add(-time.Hour).UnixMilli()
			ids := e.addDead("send_email", slaq.Medium, 6, base)
			others := e.addDead("export", slaq.Low, 3, base)
			var r retried
			e.ok("POST", "/api/jobs/dead-letters/"+ids[0]+"/retry", "", 200, &r)
			if !r.Success || len(r.Retried) != 1 {
				t.Errorf("retry one: %+v", r)
			}
			e.pollJob(ids[0], "waiting")
			e.fails("POST", "/api/jobs/dead-letters/"+ids[0]+"/retry", "", 404, admin.CodeNotFound)
			e.fails("GET", "/api/jobs/dead-letters/"+ids[0], "", 404, admin.CodeNotFound)

			e.ok("POST", "/api/jobs/dead-letters/retry", `{"ids":["`+ids[1]+`","`+ids[2]+`","3MISSING"]}`, 200, &r)
			if r.Success || len(r.Retried) != 2 || len(r.Errors) != 1 || r.Errors[0].ID != "3MISSING" || r.Errors[0].Code != admin.CodeNotFound {
				t.Errorf("retry by ids: %+v", r)
			}
			e.ok("POST", "/api/jobs/dead-letters/retry", `{"filter":{"type":"send_email"},"limit":2}`, 200, &r)
			if !r.Success || len(r.Retried) != 2 || r.Remaining != 1 {
				t.Errorf("retry by filter: %+v", r)
			}
			e.ok("POST", "/api/jobs/dead-letters/retry", `{"filter":{"tier":"LOW"}}`, 200, &r)
			if len(r.Retried) != 3 || r.Remaining != 0 {
				t.Errorf("retry by tier: %+v", r)
			}
			for _, id := range append([]string{ids[0], ids[1], ids[2], ids[4], ids[5]}, others...) { // newest first: the filter took 5 and 4
				e.pollJob(id, "waiting")
			}
			m, err := e.client.Metrics(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if m["MEDIUM"].Waiting != 5 || m["LOW"].Waiting != 3 {
				t.Errorf("waiting after retries: MEDIUM %d LOW %d", m["MEDIUM"].Waiting, m["LOW"].Waiting)
			}
			for _, body := range []string{``, `{}`, `{"ids":[]}`, `{"ids":[""]}`, `{"ids":["a"],"filter":{}}`,
				`{"ids":"a"}`, `{"filter":{"tier":9}}`, `{"id":["a"]}`, `{"ids":[` + strings.Repeat(`"a",`, 1000) + `"a"]}`} {
				status, resp := e.do("POST", "/api/jobs/dead-letters/retry", body)
				if status != 400 {
					t.Errorf("retry %s: %d %s", trim(body), status, resp)
				}
			}
		})
	}
}

func TestDeadLetterDeleteAndPurge(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			e := newEnv(t, b, nil, nil)
			now := time.Now().UnixMilli()
			e.addDead("send_email", slaq.Medium, 4, now-100*3600_000)
			recent := e.addDead("send_email", slaq.Medium, 4, now-3600_000)
			var d struct {
				Success bool
				Deleted int
			}
			e.ok("DELETE", "/api/jobs/dead-letters/"+recent[0], "", 200, &d)
			if d.Deleted != 1 {
				t.Errorf("delete one: %+v", d)
			}
			e.fails("DELETE", "/api/jobs/dead-letters/"+recent[0], "", 404, admin.CodeNotFound)
			e.ok("POST", "/api/jobs/dead-letters/delete", `{"ids":["`+recent[1]+`","`+recent[2]+`","nope"]}`, 200, &d)
			if d.Deleted != 2 {
				t.Errorf("delete many: %+v", d)
			}
			e.ok("POST", "/api/jobs/dead-letters/purge", `{"older_than":"72h"}`, 200, &d)
			if d.Deleted != 4 {
				t.Errorf("purge 72h: %+v", d)
			}
			e.ok("POST", "/api/jobs/dead-letters/purge", fmt.Sprintf(`{"before":%d}`, now), 200, &d)
			if d.Deleted != 1 {
				t.Errorf("purge before now: %+v", d)
			}
			var p dlPage
			e.ok("GET", "/api/jobs/dead-letters", "", 200, &p)
			if p.Total != 0 {
				t.Errorf("%d left", p.Total)
			}
			for _, body := range []string{``, `{}`, `{"older_than":"3 days"}`, `{"older_than":"-1h"}`, `{"before":-5}`,
				`{"before":5,"older_than":"1h"}`} {
				e.fails("POST", "/api/jobs/dead-letters/purge", body, 400, admin.CodeBadRequest)
			}
			e.fails("POST", "/api/jobs/dead-letters/delete", `{}`, 400, admin.CodeBadRequest)
		})
	}
}

// TestNoDeadLetterQueue: without a queue, the dead-letter routes say so.
func TestNoDeadLetterQueue(t *testing.T) {
	e := newEnv(t, "embedded+sqlite", nil, func(o *admin.Options) { o.DeadLetters = nil })
	for _, r := range e.h.Routes() {
		if !strings.HasPrefix(r.Pattern, "/api/jobs/dead-letters") {
			continue
		}
		path := strings.ReplaceAll(r.Pattern, "{id}", "1X")
		e.fails(r.Method, path, `{"ids":["1X"]}`, 501, admin.CodeNotImplemented)
	}
}
