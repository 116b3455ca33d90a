package admin_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"
)

// TestSensitiveFieldsRedacted: a job type's sensitive payload fields read [redacted] in every
// answer that shows a job (one job, a listing, a dead letter and the dead-letter listing),
// while the stored job keeps them for its handler.
func TestSensitiveFieldsRedacted(t *testing.T) {
	t.Parallel()
	const secret = "reset-token-4f9a2c"
	cfg := &slaq.Config{Sensitive: []string{"password"},
		Types: map[string]slaq.TypeConfig{"send_password_reset": {Tier: slaq.Critical, Sensitive: []string{"token"}}}}
	e := newEnv(t, "embedded+sqlite", cfg, nil)
	var created struct{ ID string }
	e.ok("POST", "/api/jobs", `{"type":"send_password_reset","payload":{"email":"a@example.com","token":"`+secret+`","password":"pw-`+secret+`"}}`, 201, &created)
	answers := map[string][]byte{}
	for _, path := range []string{"/api/jobs/" + created.ID, "/api/jobs?tier=critical&state=waiting"} {
		_, answers[path] = e.do("GET", path, "")
	}
	dead := &store.Job{ID: store.NewID(slaq.Critical, 1_800_000_000_000), Type: "send_password_reset", Tier: slaq.Critical,
		Payload: []byte(`{"email":"b@example.com","token":"` + secret + `"}`), State: store.StateFailed, Attempts: 1, MaxAttempts: 1,
		TimeoutMs: 1000, CreatedAt: 1_800_000_000_000, FinishedAt: 1_800_000_000_001, LastError: "smtp down"}
	if err := e.dead.Add(t.Context(), []*store.Job{dead}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/jobs/dead-letters/" + dead.ID, "/api/jobs/dead-letters"} {
		_, answers[path] = e.do("GET", path, "")
	}
	for path, body := range answers {
		if strings.Contains(string(body), secret) {
			t.Errorf("GET %s shows the sensitive value: %s", path, body)
		}
		if !strings.Contains(string(body), `"token":"[redacted]"`) || !strings.Contains(string(body), "@example.com") {
			t.Errorf("GET %s: want the token redacted and the rest shown: %s", path, body)
		}
	}
	j, err := e.client.Job(t.Context(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Token string }
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Token != secret {
		t.Errorf("the stored payload lost its token: %s", j.Payload)
	}
}
