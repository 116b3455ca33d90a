package admin_test

import (
	"context"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/internal/testenv"
)

type schedulesBody struct {
	Success   bool `json:"success"`
	Schedules []struct {
		Name, Spec, Zone, Type, Tier, Missed string
		Priority                             int
		LastRun                              int64  `json:"last_run"`
		LastID                               string `json:"last_id"`
		LastError                            string `json:"last_error"`
		NextRun                              int64  `json:"next_run"`
	} `json:"schedules"`
}

// GET /api/jobs/schedules lists the client's schedules with their zone, tier, and next run,
// and the last run and its job once a tick fired.
func TestSchedules(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			clock := service.NewFakeClock(time.Date(2026, 1, 5, 1, 59, 0, 0, time.UTC))
			e := newEnv(t, backend, &slaq.Config{Clock: clock, Schedules: []slaq.Schedule{
				{Name: "cleanup", Spec: "0 2 * * *", Type: "cleanup_old_logs", Options: []slaq.Option{slaq.WithTier(slaq.Batch)}},
				{Name: "newsletter", Spec: "0 9 * * MON", Zone: "Europe/Berlin", Type: "send_bulk_emails", Missed: slaq.MissedCatchUp},
			}}, nil)
			var got schedulesBody
			e.ok("GET", "/api/jobs/schedules", "", 200, &got)
			cleanupAt := time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC).UnixMilli()
			if !got.Success || len(got.Schedules) != 2 {
				t.Fatalf("answer: %+v", got)
			}
			c, n := got.Schedules[0], got.Schedules[1]
			if c.Name != "cleanup" || c.Spec != "0 2 * * *" || c.Zone != "UTC" || c.Type != "cleanup_old_logs" || c.Tier != "BATCH" ||
				c.Priority != 5 || c.Missed != "skip" || c.LastRun != 0 || c.LastID != "" || c.NextRun != cleanupAt {
				t.Errorf("cleanup: %+v", c)
			}
			if n.Name != "newsletter" || n.Zone != "Europe/Berlin" || n.Tier != "MEDIUM" || n.Missed != "catch_up" ||
				n.NextRun != time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC).UnixMilli() {
				t.Errorf("newsletter: %+v", n)
			}

			if err := e.client.Start(context.Background()); err != nil { // no handler: it fires the schedules
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = e.client.Stop(context.Background()) })
			clock.Set(time.UnixMilli(cleanupAt))
			testenv.PollUntil(t, 10*time.Second, "the cleanup tick in the listing", func() bool {
				e.ok("GET", "/api/jobs/schedules", "", 200, &got)
				return got.Schedules[0].LastRun == cleanupAt
			})
			c = got.Schedules[0]
			j, err := e.client.Job(context.Background(), c.LastID)
			if err != nil || j.Type != "cleanup_old_logs" || j.Tier != slaq.Batch || c.NextRun != cleanupAt+24*3600_000 || c.LastError != "" {
				t.Fatalf("after the tick: %+v; job %+v, %v", c, j, err)
			}
		})
	}
}
