package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
	"github.com/slaqhq/slaq/store"
)

type enqueued struct {
	Success   bool
	ID        string
	Tier      string
	Duplicate bool
}

type jobAnswer struct {
	Success bool
	Job     struct {
		ID, Type, Tier, State, LastError string
		Priority                         int
		Payload, Result                  json.RawMessage
		Attempts                         int
		MaxAttempts                      int    `json:"max_attempts"`
		TimeoutMs                        int64  `json:"timeout_ms"`
		BackoffMs                        int64  `json:"backoff_ms"`
		RunAt                            int64  `json:"run_at"`
		CreatedAt                        int64  `json:"created_at"`
		FinishedAt                       int64  `json:"finished_at"`
		UniqueKey                        string `json:"unique_key"`
	}
}

func TestEnqueueAndGet(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			e := newEnv(t, b, nil, nil)
			var a enqueued
			e.ok("POST", "/api/jobs", `{"type":"send_email","priority":3,"payload":{"to":"a@example.com"},
				"options":{"timeout_ms":7000,"attempts":4,"backoff_ms":0}}`, 201, &a)
			if !a.Success || a.ID == "" {
				t.Fatalf("enqueue: %+v", a)
			}
			var j jobAnswer
			e.ok("GET", "/api/jobs/"+a.ID, "", 200, &j)
			if j.Job.ID != a.ID || j.Job.Type != "send_email" || j.Job.Tier != "MEDIUM" || j.Job.Priority != 3 ||
				j.Job.State != "waiting" || string(j.Job.Payload) != `{"to":"a@example.com"}` || j.Job.MaxAttempts != 4 ||
				j.Job.TimeoutMs != 7000 || j.Job.BackoffMs != 0 || j.Job.CreatedAt == 0 || string(j.Job.Result) != "null" {
				t.Errorf("job: %+v", j.Job)
			}
			// Delayed, by tier name, payload any JSON value, no payload at all.
			e.ok("POST", "/api/jobs", `{"type":"generate_report","tier":"low","payload":[1,2],"options":{"delay_ms":60000}}`, 201, &a)
			e.ok("GET", "/api/jobs/"+a.ID, "", 200, &j)
			if j.Job.State != "delayed" || j.Job.Tier != "LOW" || j.Job.RunAt < j.Job.CreatedAt+59000 {
				t.Errorf("delayed job: %+v", j.Job)
			}
			runAt := time.Now().Add(time.Hour).UnixMilli()
			e.ok("POST", "/api/jobs", fmt.Sprintf(`{"type":"cleanup","priority":5,"options":{"run_at":%d}}`, runAt), 201, &a)
			e.ok("GET", "/api/jobs/"+a.ID, "", 200, &j)
			if j.Job.State != "delayed" || j.Job.RunAt != runAt || string(j.Job.Payload) != "null" {
				t.Errorf("run_at job: %+v", j.Job)
			}
			// No tier: the type's default from the client's config, else MEDIUM.
			e.ok("POST", "/api/jobs", `{"type":"anything"}`, 201, &a)
			e.ok("GET", "/api/jobs/"+a.ID, "", 200, &j)
			if j.Job.Tier != "MEDIUM" {
				t.Errorf("default tier %s", j.Job.Tier)
			}
			e.fails("GET", "/api/jobs/3NOSUCHJOB0000000000000", "", 404, admin.CodeNotFound)
			e.fails("GET", "/api/jobs/zzz", "", 404, admin.CodeNotFound)
		})
	}
}

func TestEnqueueIdempotencyKey(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			e := newEnv(t, b, nil, nil)
			var a1, a2, a3 enqueued
			body := `{"type":"webhook_cryptomus","priority":2,"payload":{"id":"pay_1"},"idempotency_key":"pay_1"}`
			e.ok("POST", "/api/jobs", body, 201, &a1)
			e.ok("POST", "/api/jobs", body, 201, &a2)
			req, _ := http.NewRequest("POST", e.url+"/api/jobs", strings.NewReader(`{"type":"webhook_cryptomus","priority":2}`))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Idempotency-Key", "pay_1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(resp.Body).Decode(&a3)
			resp.Body.Close()
			if a1.ID == "" || a2.ID != a1.ID || a3.ID != a1.ID {
				t.Errorf("ids %s %s %s: want one job", a1.ID, a2.ID, a3.ID)
			}
			if a1.Duplicate || !a2.Duplicate || !a3.Duplicate || a1.Tier != "HIGH" || a2.Tier != "HIGH" {
				t.Errorf("answers %+v %+v %+v: want the first stored in HIGH, the others duplicates", a1, a2, a3)
			}
			var m struct {
				Metrics map[string]struct{ Waiting int64 }
			}
			e.ok("GET", "/api/jobs/metrics", "", 200, &m)
			if m.Metrics["HIGH"].Waiting != 1 {
				t.Errorf("HIGH waiting %d, want 1", m.Metrics["HIGH"].Waiting)
			}
			var j jobAnswer
			e.ok("GET", "/api/jobs/"+a1.ID, "", 200, &j)
			if j.Job.UniqueKey != "pay_1" {
				t.Errorf("unique key %q", j.Job.UniqueKey)
			}
			req.Header.Set("Idempotency-Key", "other")
			req.Body = http.NoBody
			req, _ = http.NewRequest("POST", e.url+"/api/jobs", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Idempotency-Key", "other")
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 {
				t.Errorf("header and body keys differ: status %d", resp.StatusCode)
			}
		})
	}
}

// TestEnqueueRefused checks that bad input is a clear 4xx and stores nothing.
func TestEnqueueRefused(t *testing.T) {
	e := newEnv(t, "embedded+sqlite", nil, func(o *admin.Options) { o.MaxPayloadBytes = 1000 })
	big := `{"type":"x","payload":"` + strings.Repeat("a", 1000) + `"}`
	huge := `{"type":"x","payload":"` + strings.Repeat("a", 70_000) + `"}`
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{``, 400, admin.CodeBadRequest},
		{`{"type":`, 400, admin.CodeBadRequest},
		{`{"type":"x","colour":"red"}`, 400, admin.CodeBadRequest},
		{`{"type":"x","payload":{"a":}}`, 400, admin.CodeBadRequest},
		{`{"type":"x","options":{"retries":3}}`, 400, admin.CodeBadRequest},
		{`{"type":"x","options":{"delay_ms":"soon"}}`, 400, admin.CodeBadRequest},
		{`{"payload":{}}`, 400, admin.CodeInvalidJob},
		{`{"type":"  "}`, 400, admin.CodeInvalidJob},
		{`{"type":"x","priority":6}`, 400, admin.CodeUnknownTier},
		{`{"type":"x","priority":"URGENT"}`, 400, admin.CodeUnknownTier},
		{`{"type":"x","priority":1,"tier":"LOW"}`, 400, admin.CodeBadRequest},
		{`{"type":"x","options":{"delay_ms":-1}}`, 400, admin.CodeInvalidJob},
		{`{"type":"x","options":{"timeout_ms":-5}}`, 400, admin.CodeInvalidJob},
		{`{"type":"x","options":{"attempts":-1}}`, 400, admin.CodeInvalidJob},
		{`{"type":"x","options":{"backoff_ms":-1}}`, 400, admin.CodeInvalidJob},
		{`{"type":"x","options":{"retention_ms":-1}}`, 400, admin.CodeInvalidJob},
		{`{"type":"x","options":{"delay_ms":5,"run_at":5}}`, 400, admin.CodeInvalidJob},
		{`{"type":"x","options":{"unique_ttl_ms":5}}`, 400, admin.CodeInvalidJob},
		{big, 413, admin.CodeTooLarge},
		{huge, 413, admin.CodeTooLarge},
	} {
		e.fails("POST", "/api/jobs", c.body, c.status, c.code)
	}
	m, err := e.client.Metrics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for tier, tm := range m {
		if tm.Total != 0 {
			t.Errorf("%s holds %d jobs after refused enqueues", tier, tm.Total)
		}
	}
}

func TestEnqueueDeclaredTypesOnly(t *testing.T) {
	e := newEnv(t, "embedded+sqlite", nil, func(o *admin.Options) { o.JobTypes = []string{"send_email"} })
	e.ok("POST", "/api/jobs", `{"type":"send_email"}`, 201, nil)
	e.fails("POST", "/api/jobs", `{"type":"send_emial"}`, 400, admin.CodeUnknownJobType)
}

// TestEnqueueStoreDown: a store that does not answer is a 503, not a 500 or a hang.
func TestEnqueueStoreDown(t *testing.T) {
	e := newEnv(t, "embedded+sqlite", nil, nil)
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	e.fails("POST", "/api/jobs", `{"type":"x"}`, 503, admin.CodeUnavailable)
	e.fails("GET", "/api/jobs/metrics", "", 503, admin.CodeUnavailable)
	e.fails("POST", "/api/jobs/pause", `{"priority":1}`, 503, admin.CodeUnavailable)
}

// TestDevelopmentRoutes runs the guide's test jobs through a started client and sees them
// complete.
func TestDevelopmentRoutes(t *testing.T) {
	mux := slaq.NewServeMux()
	mux.HandleFunc(admin.TestOTPType, func(_ context.Context, j *slaq.Job) error {
		j.Result = []byte(`{"sent":true}`)
		return nil
	})
	mux.HandleFunc(admin.TestReportType, func(context.Context, *slaq.Job) error { return nil })
	e := newEnv(t, "embedded+sqlite", &slaq.Config{Handler: mux}, func(o *admin.Options) { o.Development = true })
	if err := e.client.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.client.Stop(context.Background()) })
	var a struct {
		Success                 bool
		ID, Type, Tier, Message string
	}
	e.ok("POST", "/api/jobs/test/otp", `{"email":"test@example.com","code":"123456"}`, 201, &a)
	if a.Type != admin.TestOTPType || a.Tier != "CRITICAL" || !strings.Contains(a.Message, a.ID) {
		t.Errorf("otp: %+v", a)
	}
	e.pollJob(a.ID, "completed")
	var j jobAnswer
	e.ok("GET", "/api/jobs/"+a.ID, "", 200, &j)
	if string(j.Job.Result) != `{"sent":true}` || string(j.Job.Payload) != `{"email":"test@example.com","code":"123456"}` {
		t.Errorf("otp job: %+v", j.Job)
	}
	e.ok("POST", "/api/jobs/test/report", ``, 201, &a)
	if a.Tier != "LOW" {
		t.Errorf("report tier %s", a.Tier)
	}
	e.pollJob(a.ID, "completed")
	e.ok("POST", "/api/jobs/test/otp", ``, 201, nil) // the guide's defaults
	e.fails("POST", "/api/jobs/test/otp", `{"email":"nobody"}`, 400, admin.CodeInvalidJob)
	e.fails("POST", "/api/jobs/test/report", `{"format":1}`, 400, admin.CodeBadRequest)
}

func TestListAndCancel(t *testing.T) {
	for _, backend := range []string{"embedded+sqlite", "redis+postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, backend, nil, nil)
			ctx := t.Context()
			var ids []string
			for i := range 6 {
				id, err := e.client.Enqueue(ctx, "send_otp", map[string]int{"i": i}, slaq.WithTier(slaq.Critical))
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			// Claim the first job, as a worker would, so that it is active.
			res, err := e.st.Fetch(ctx, store.FetchRequest{Tier: slaq.Critical, Limit: 1, Now: time.Now().UnixMilli(), LeaseMs: 60_000})
			if err != nil || len(res.Jobs) != 1 || res.Jobs[0].ID != ids[0] {
				t.Fatalf("claim: %+v, %v", res, err)
			}
			active, waiting := ids[0], ids[1:]
			var page struct {
				Success bool
				Jobs    []struct{ ID, State, Tier string }
				Next    string
			}
			e.ok("GET", "/api/jobs?tier=critical&state=waiting&limit=2", "", 200, &page)
			if len(page.Jobs) != 2 || page.Jobs[0].ID != waiting[0] || page.Next == "" || page.Jobs[0].Tier != "CRITICAL" {
				t.Fatalf("page 1: %+v", page)
			}
			var seen []string
			for cursor := ""; ; {
				e.ok("GET", "/api/jobs?tier=1&limit=2&cursor="+url.QueryEscape(cursor), "", 200, &page)
				for _, j := range page.Jobs {
					seen = append(seen, j.ID)
				}
				if cursor = page.Next; cursor == "" {
					break
				}
			}
			if strings.Join(seen, ",") != strings.Join(waiting, ",") {
				t.Errorf("paged through %v, want %v", seen, waiting)
			}
			e.ok("GET", "/api/jobs?tier=1&state=active", "", 200, &page)
			if len(page.Jobs) != 1 || page.Jobs[0].ID != active || page.Jobs[0].State != "active" {
				t.Errorf("active page %+v", page)
			}
			e.ok("GET", "/api/jobs?tier=1&limit=100000", "", 200, &page) // capped at MaxListLimit
			if len(page.Jobs) != len(waiting) {
				t.Errorf("capped page holds %d jobs, want %d", len(page.Jobs), len(waiting))
			}
			e.fails("GET", "/api/jobs", "", 400, admin.CodeUnknownTier)
			e.fails("GET", "/api/jobs?tier=9", "", 400, admin.CodeUnknownTier)
			e.fails("GET", "/api/jobs?tier=1&state=paused", "", 400, admin.CodeBadRequest)
			e.fails("GET", "/api/jobs?tier=1&limit=0", "", 400, admin.CodeBadRequest)
			e.fails("GET", "/api/jobs?tier=1&limit=x", "", 400, admin.CodeBadRequest)

			var c struct {
				Success, Canceled bool
				ID                string
			}
			e.ok("POST", "/api/jobs/"+waiting[0]+"/cancel", "", 200, &c)
			if !c.Success || !c.Canceled || c.ID != waiting[0] {
				t.Errorf("cancel: %+v", c)
			}
			if _, err := e.client.Job(ctx, waiting[0]); !errors.Is(err, slaq.ErrNotFound) {
				t.Errorf("cancelled job still there: %v", err)
			}
			e.fails("POST", "/api/jobs/"+waiting[0]+"/cancel", "", 404, admin.CodeNotFound)
			e.fails("POST", "/api/jobs/"+active+"/cancel", "", 409, admin.CodeNotCancellable)
		})
	}
}
