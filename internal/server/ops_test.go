package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/slaqhq/slaq/httptarget"
	"github.com/slaqhq/slaq/internal/testenv"
)

// TestHTTPTargetFromFile: a job type declared in the config file with a URL is run by the
// server's workers as a signed POST; an enqueue through POST /api/jobs reaches the receiver,
// and /metrics counts the completed run.
func TestHTTPTargetFromFile(t *testing.T) {
	got := make(chan *httptarget.Delivery, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := httptarget.ReadDelivery(r, []byte("hook-secret"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got <- d
	}))
	defer recv.Close()
	t.Setenv("HOOK_SECRET", "hook-secret")
	path := filepath.Join(t.TempDir(), "slaq.yaml")
	yaml := "job_types:\n  charge_card: {tier: HIGH, url: \"" + recv.URL + "/jobs\", secret_env: HOOK_SECRET}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	if err := cfg.ApplyFile(path); err != nil {
		t.Fatal(err)
	}
	r := start(t, cfg)
	req, _ := http.NewRequest("POST", r.url+"/api/jobs", bytes.NewBufferString(`{"type":"charge_card","payload":{"amount":42}}`))
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("enqueue: %s", resp.Status)
	}
	select {
	case d := <-got:
		if d.Type != "charge_card" || d.Tier != "HIGH" || string(d.Payload) != `{"amount":42}` || d.Attempt != 1 {
			t.Fatalf("delivery %+v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got nothing")
	}
	testenv.PollUntil(t, 10*time.Second, "the completed run on /metrics", func() bool {
		resp, err := http.Get(r.url + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(resp.Body)
		if err != nil {
			return false
		}
		for _, m := range fams["slaq_jobs_completed_total"].GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["type"] == "charge_card" && labels["tier"] == "HIGH" && m.GetCounter().GetValue() == 1 {
				return true
			}
		}
		return false
	})
}
