package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"

	"github.com/slaqhq/slaq/examples/fintech/internal/jobs"
)

// The guide's two schedules are slaq schedules with the guide's times, in BATCH, and their
// next ticks are where the guide puts them.
func TestSchedules(t *testing.T) {
	t.Parallel()
	cfg := Config{CleanupDays: 90}
	list := schedules(cfg)
	if len(list) != 2 {
		t.Fatalf("%d schedules, want 2", len(list))
	}
	at := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		s         slaq.Schedule
		now, want string
	}{
		{list[0], "2026-12-03 01:59", "2026-12-03 02:00"},
		{list[0], "2026-12-03 02:00", "2026-12-04 02:00"},
		{list[0], "2026-12-31 23:00", "2027-01-01 02:00"},
		{list[1], "2026-12-03 10:00", "2026-12-07 09:00"}, // a Thursday: next Monday
		{list[1], "2026-12-07 09:00", "2026-12-14 09:00"},
	}
	for _, c := range cases {
		got, err := c.s.Next(at(c.now))
		if err != nil || !got.Equal(at(c.want)) {
			t.Errorf("%s: next after %s is %s (%v), want %s", c.s.Name, c.now, got, err, c.want)
		}
	}
	if b, _ := json.Marshal(list[0].Payload); string(b) != `{"days":90}` {
		t.Errorf("cleanup payload %s", b)
	}
	if schedules(Config{NoSchedules: true}) != nil {
		t.Error("NoSchedules still has schedules")
	}
}

// A running service lists them (tier, zone) through slaq; the newsletter job a tick
// enqueues names the week it runs in.
func TestSchedulesRegistered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, opts{schedules: true})
	got := e.app.Client.Schedules()
	if len(got) != 2 || got[0].Spec != CleanupSpec || got[1].Spec != NewsletterSpec ||
		got[0].Tier != slaq.Batch || got[1].Tier != slaq.Batch || got[0].Zone != "UTC" {
		t.Fatalf("schedules: %+v", got)
	}
	id, err := e.app.Client.Enqueue(context.Background(), jobs.TypeNewsletter, json.RawMessage(`{}`)) // as a tick does
	if err != nil {
		t.Fatal(err)
	}
	e.waitJob(id, "completed", 10*time.Second)
	y, w := time.Now().UTC().ISOWeek()
	e.waitMail("Weekly Update from Advancia Pay", 1)
	body := decodeQP(t, e.sink.Messages()[0].Data)
	if want := "in week " + fmtWeek(y, w); !strings.Contains(body, want) {
		t.Fatalf("newsletter body %q lacks %q", body, want)
	}
}
