package slaq_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// FuzzSchedule feeds arbitrary cron specs and zones to Schedule.Next and to New: neither
// panics; both refuse the same inputs, with an error wrapping ErrInvalid; an accepted
// schedule's next tick is after now, the tick after it later still, and Client.Schedules
// reports the same next run.
func FuzzSchedule(f *testing.F) {
	for _, seed := range [][2]string{
		{"0 2 * * *", ""}, {"0 9 * * MON", "Europe/Berlin"}, {"30 2 * * *", "America/New_York"},
		{"@every 10m", "UTC"}, {"@daily", "Asia/Kolkata"}, {"*/15 9-17 * * 1-5", ""}, {"0 0 29 2 *", ""},
		{"0 0 30 2 *", ""}, {"0 25 * * *", ""}, {"* * * *", ""}, {"@every 500ms", ""}, {"@sometimes", ""},
		{"TZ=UTC 0 0 * * *", ""}, {"0 0 * * *", "Mars/Olympus"}, {"0 0 * * *", "Local"}, {"5-1 * * * *", ""},
		{"*/0 * * * *", ""}, {"0-59/70 * * * *", ""}, {"@every -1s", ""}, {"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	st, err := sqlitestore.Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"), sqlitestore.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	f.Fuzz(func(t *testing.T, spec, zone string) {
		now := time.Now()
		s := slaq.Schedule{Name: "fuzz", Spec: spec, Zone: zone, Type: "t"}
		next, err := s.Next(now)
		c, newErr := slaq.New(st, slaq.Config{Schedules: []slaq.Schedule{s}, Clock: fixedClock{now}})
		if err != nil {
			if !errors.Is(err, slaq.ErrInvalid) {
				t.Fatalf("Next(%q, %q): %v, want an error wrapping ErrInvalid", spec, zone, err)
			}
			if !errors.Is(newErr, slaq.ErrInvalid) {
				t.Fatalf("New took the schedule Next refused (%v): %v", err, newErr)
			}
			return
		}
		if newErr != nil {
			t.Fatalf("New refused the schedule Next took: %v", newErr)
		}
		if !next.After(now) {
			t.Fatalf("Next(%q, %q) = %s, not after now %s", spec, zone, next, now)
		}
		if after, err := s.Next(next); err == nil && !after.After(next) {
			t.Fatalf("Next(%q, %q) after %s = %s, not later", spec, zone, next, after)
		}
		if got := c.Schedules()[0].NextRun; !got.Equal(next) {
			t.Fatalf("Schedules reports next run %s, Next %s", got, next)
		}
	})
}

// fixedClock tells one time.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }
