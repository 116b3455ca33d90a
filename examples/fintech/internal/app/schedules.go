package app

import (
	"github.com/slaqhq/slaq"

	"github.com/slaqhq/slaq/examples/fintech/internal/jobs"
)

// The guide's two cron jobs, on slaq's cron (slaq.Config.Schedules): every replica of the
// service has them, and slaq enqueues each tick's job once however many run. The cleanup
// catches up one missed tick (within slaq.DefaultCatchUpWindow) when every replica was down
// at 02:00, and on a first start; a missed newsletter is skipped (a late one is news no more).
const (
	CleanupSpec    = "0 2 * * *"   // the guide's daily cleanup at 02:00
	NewsletterSpec = "0 9 * * MON" // the guide's weekly newsletter, Mondays at 09:00
)

// schedules returns the service's schedules in zone (Config.ScheduleZone; "" is UTC).
func schedules(cfg Config) []slaq.Schedule {
	if cfg.NoSchedules {
		return nil
	}
	return []slaq.Schedule{
		{Name: "cleanup", Spec: CleanupSpec, Zone: cfg.ScheduleZone, Type: jobs.TypeCleanup,
			Payload: jobs.Cleanup{Days: cfg.CleanupDays}, Missed: slaq.MissedCatchUp},
		{Name: "newsletter", Spec: NewsletterSpec, Zone: cfg.ScheduleZone, Type: jobs.TypeNewsletter,
			Payload: jobs.Newsletter{}, Missed: slaq.MissedSkip}, // the job names the week it runs in
	}
}
