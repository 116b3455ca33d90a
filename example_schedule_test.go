package slaq_test

import (
	"fmt"
	"time"

	"github.com/slaqhq/slaq"
)

// The guide's two schedules: their next ticks from Monday 5 January 2026, 08:59:30 UTC. The
// newsletter's 09:00 in Berlin (08:00 UTC) has passed that day, so it next runs a week later.
// Give them to slaq.Config.Schedules and every replica fires them, once per tick.
func ExampleSchedule_Next() {
	schedules := []slaq.Schedule{
		{Name: "cleanup", Spec: "0 2 * * *", Type: "cleanup_old_logs", Payload: map[string]int{"days": 90},
			Options: []slaq.Option{slaq.WithTier(slaq.Batch)}},
		{Name: "newsletter", Spec: "0 9 * * MON", Zone: "Europe/Berlin", Type: "send_bulk_emails",
			Missed: slaq.MissedCatchUp},
	}
	from := time.Date(2026, 1, 5, 8, 59, 30, 0, time.UTC)
	for _, s := range schedules {
		next, err := s.Next(from)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s.Name, next.Format(time.RFC3339), next.UTC().Format(time.RFC3339))
	}
	_, err := slaq.Schedule{Spec: "0 25 * * *"}.Next(from)
	fmt.Println(err)
	// Output:
	// cleanup 2026-01-06T02:00:00Z 2026-01-06T02:00:00Z
	// newsletter 2026-01-12T09:00:00+01:00 2026-01-12T08:00:00Z
	// cron spec "0 25 * * *": end of range (25) above maximum (23): 25
}
