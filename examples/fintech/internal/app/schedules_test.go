package app

import (
	"context"
	"testing"
	"time"
)

func TestScheduleTimes(t *testing.T) {
	t.Parallel()
	utc := time.UTC
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, utc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name      string
		next      func(time.Time) time.Time
		now, want string
	}{
		{"cleanup before 02:00", daily(2, 0), "2026-12-03 01:59", "2026-12-03 02:00"},
		{"cleanup at 02:00", daily(2, 0), "2026-12-03 02:00", "2026-12-04 02:00"},
		{"cleanup at month end", daily(2, 0), "2026-12-31 23:00", "2027-01-01 02:00"},
		{"newsletter on a Thursday", weekly(time.Monday, 9, 0), "2026-12-03 10:00", "2026-12-07 09:00"},
		{"newsletter Monday early", weekly(time.Monday, 9, 0), "2026-12-07 08:59", "2026-12-07 09:00"},
		{"newsletter Monday at 09:00", weekly(time.Monday, 9, 0), "2026-12-07 09:00", "2026-12-14 09:00"},
	}
	for _, c := range cases {
		if got := c.next(at(c.now)); !got.Equal(at(c.want)) {
			t.Errorf("%s: next after %s is %s, want %s", c.name, c.now, got.Format("2006-01-02 15:04"), c.want)
		}
	}
}

// A tick fired by several replicas (or twice) enqueues one job; the next tick another.
func TestScheduleTickEnqueuesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{})
	ctx := context.Background()
	s := e.app.schedules
	tick := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, sc := range s.entries {
		a, err := s.fireTick(ctx, sc, tick)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.fireTick(ctx, sc, tick)
		if err != nil || a != b {
			t.Fatalf("%s: the same tick enqueued %s and %s (%v)", sc.name, a, b, err)
		}
		c, _ := s.fireTick(ctx, sc, tick.Add(24*time.Hour))
		if c == a {
			t.Fatalf("%s: the next tick did not enqueue", sc.name)
		}
	}
	list, _ := s.list(ctx)
	if len(list) != 2 || list[0].Spec != "0 2 * * *" || list[1].Spec != "0 9 * * MON" || list[0].LastRun.IsZero() {
		t.Fatalf("schedules for the dashboard: %+v", list)
	}
}
