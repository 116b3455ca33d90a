package dashboard_test

import (
	"html"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/testenv"
)

// TestConfigShowsSchedules: the config page's schedules panel lists the client's schedules
// (name, spec, zone, type, tier, missed-tick policy, next run) and, once a tick fired, its
// last run linked to the tick's job.
func TestConfigShowsSchedules(t *testing.T) {
	e := newEnvWith(t, "embedded+sqlite", func(c *slaq.Config) {
		c.Schedules = []slaq.Schedule{
			{Name: "heartbeat", Spec: "@every 1s", Type: "ok", Options: []slaq.Option{slaq.WithTier(slaq.Low)}},
			{Name: "cleanup", Spec: "30 2 * * *", Zone: "America/New_York", Type: "cleanup_old_logs",
				Options: []slaq.Option{slaq.WithTier(slaq.Batch)}, Missed: slaq.MissedSkip},
		}
	})
	c := httpClient(t)
	e.signIn(c)
	page := func() string {
		resp, body := send(t, c, "GET", e.url+"/dashboard/config", nil, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("config page: %d", resp.StatusCode)
		}
		return html.UnescapeString(body)
	}
	body := page()
	cleanup := e.client.Schedules()[1]
	for _, want := range []string{`<table id="schedules">`, "<th scope=\"row\">cleanup</th>", "<code>30 2 * * *</code>",
		"America/New_York", "cleanup_old_logs", "BATCH", "skip", cleanup.NextRun.UTC().Format("2006-01-02 15:04:05"),
		"<th scope=\"row\">heartbeat</th>", "<code>@every 1s</code>", "LOW"} {
		if !strings.Contains(body, want) {
			t.Errorf("config page lacks %q", want)
		}
	}
	var id string
	testenv.PollUntil(t, 10*time.Second, "the heartbeat's last run on the page", func() bool {
		id = e.client.Schedules()[0].LastID
		return id != "" && strings.Contains(page(), `href="/dashboard/jobs/`+id+`"`)
	})
	if _, err := e.client.Job(t.Context(), id); err != nil {
		t.Errorf("the linked job %s: %v", id, err)
	}
}
