package admin_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
)

func TestMetricsShape(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			e := newEnv(t, b, nil, nil)
			for i := range 3 {
				e.ok("POST", "/api/jobs", fmt.Sprintf(`{"type":"send_otp","priority":1,"payload":{"i":%d}}`, i), 201, nil)
			}
			e.ok("POST", "/api/jobs", `{"type":"generate_report","priority":"LOW","options":{"delay_ms":60000}}`, 201, nil)
			var m struct {
				Success bool                                  `json:"success"`
				Metrics map[string]map[string]json.RawMessage `json:"metrics"`
			}
			status, raw := e.do("GET", "/api/jobs/metrics", "")
			if status != 200 || json.Unmarshal(raw, &m) != nil {
				t.Fatalf("metrics: %d %s", status, raw)
			}
			last := -1
			for _, tier := range slaq.Tiers { // in tier order, as the guide shows them
				at := strings.Index(string(raw), `"`+tier.String()+`":`)
				if at < last {
					t.Errorf("%s out of order in %s", tier, raw)
				}
				last = at
			}
			if !m.Success || len(m.Metrics) != 5 {
				t.Fatalf("metrics: %+v", m)
			}
			for _, tier := range slaq.Tiers {
				tm := m.Metrics[tier.String()]
				for _, k := range []string{"waiting", "active", "completed", "failed", "delayed", "total", "paused", "sla"} {
					if tm[k] == nil {
						t.Errorf("%s has no %q: %v", tier, k, tm)
					}
				}
			}
			var crit struct {
				Waiting, Total int64
				Paused         bool
				SLA            struct {
					TargetMs      float64  `json:"target_ms"`
					CompliancePct float64  `json:"compliance_pct"`
					PickupP99Ms   *float64 `json:"pickup_p99_ms"`
					Breaches      *int64   `json:"breaches"`
				}
			}
			raw, _ = json.Marshal(m.Metrics["CRITICAL"])
			if err := json.Unmarshal(raw, &crit); err != nil {
				t.Fatal(err)
			}
			if crit.Waiting != 3 || crit.Total != 3 || crit.Paused || crit.SLA.TargetMs != 1000 ||
				crit.SLA.CompliancePct != 100 || crit.SLA.PickupP99Ms == nil || crit.SLA.Breaches == nil {
				t.Errorf("CRITICAL: %s", raw)
			}
			if got := string(m.Metrics["LOW"]["delayed"]); got != "1" {
				t.Errorf("LOW delayed = %s", got)
			}
		})
	}
}

func TestPauseResume(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			e := newEnv(t, b, nil, nil)
			paused := func(tier string) bool {
				var m struct {
					Metrics map[string]struct{ Paused bool }
				}
				e.ok("GET", "/api/jobs/metrics", "", 200, &m)
				return m.Metrics[tier].Paused
			}
			var a struct {
				Success  bool
				Tier     string
				Priority int
				Paused   bool
			}
			e.ok("POST", "/api/jobs/pause", `{"priority": 5}`, 200, &a)
			if !a.Success || a.Tier != "BATCH" || a.Priority != 5 || !a.Paused || !paused("BATCH") {
				t.Errorf("pause 5: %+v", a)
			}
			e.ok("POST", "/api/jobs/pause", `{"tier": "low"}`, 200, nil)
			e.ok("POST", "/api/jobs/pause", `{"priority": "HIGH"}`, 200, nil)
			if !paused("LOW") || !paused("HIGH") || paused("CRITICAL") {
				t.Error("LOW and HIGH should be paused, CRITICAL not")
			}
			// A paused tier still accepts enqueues.
			e.ok("POST", "/api/jobs", `{"type":"x","priority":5}`, 201, nil)
			e.ok("POST", "/api/jobs/resume", `{"priority": 5}`, 200, &a)
			if a.Paused || paused("BATCH") {
				t.Error("BATCH still paused after resume")
			}
			e.ok("POST", "/api/jobs/resume", `{"tier": 4, "priority": "LOW"}`, 200, nil)
			if paused("LOW") {
				t.Error("LOW still paused")
			}
			for _, c := range []struct{ body, code string }{
				{`{"priority": 9}`, admin.CodeUnknownTier},
				{`{"priority": "URGENT"}`, admin.CodeUnknownTier},
				{`{"tier": 0}`, admin.CodeUnknownTier},
				{`{}`, admin.CodeUnknownTier},
				{``, admin.CodeBadRequest},
				{`{"priority": 5`, admin.CodeBadRequest},
				{`{"priority": 5, "queue": "x"}`, admin.CodeBadRequest},
				{`{"priority": 5} {"priority": 4}`, admin.CodeBadRequest},
				{`{"priority": 5, "tier": "LOW"}`, admin.CodeBadRequest},
				{`[5]`, admin.CodeBadRequest},
			} {
				for _, path := range []string{"/api/jobs/pause", "/api/jobs/resume"} {
					e.fails("POST", path, c.body, 400, c.code)
				}
			}
			if !paused("HIGH") || paused("MEDIUM") {
				t.Error("a refused request changed a tier")
			}
		})
	}
}
