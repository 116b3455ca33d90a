package slaq_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/maint"
	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/redisstore"
)

// tickWait bounds how long a test waits for a replica to handle a tick.
const tickWait = 20 * time.Second

// monday0859 is the fake clock's start in most schedule tests: Monday 5 January 2026, 08:59:30 UTC.
var monday0859 = time.Date(2026, 1, 5, 8, 59, 30, 0, time.UTC)

// sharedStores opens n handles on one backend: n Redis connections under one prefix, or n
// opens of one SQLite file. Each is closed when the test ends.
func sharedStores(t *testing.T, kind string, n int) []store.Store {
	t.Helper()
	var out []store.Store
	switch kind {
	case "redis":
		prefix := testenv.RedisPrefix(t)
		for range n {
			st, err := redisstore.New(context.Background(), redisstore.Options{Addrs: []string{testenv.RedisAddr()}, Prefix: prefix})
			if err != nil {
				t.Fatalf("redisstore.New: %v", err)
			}
			t.Cleanup(func() { _ = st.Close() })
			out = append(out, st)
		}
	case "embedded":
		path := filepath.Join(t.TempDir(), "slaq.db")
		for range n {
			out = append(out, openEmbeddedAt(t, path))
		}
	default:
		t.Fatalf("unknown store kind %q", kind)
	}
	return out
}

// startScheduled starts one client per store with cfg on clock (no handler: the clients
// only fire schedules), each with its test signals, stopped when the test ends.
func startScheduled(t *testing.T, stores []store.Store, clock *service.FakeClock, cfg slaq.Config) []*slaq.Client {
	t.Helper()
	var cs []*slaq.Client
	for i, st := range stores {
		cfg := cfg
		cfg.Clock, cfg.Name = clock, fmt.Sprintf("replica-%d", i)
		cfg.Logger = slog.New(slog.NewTextHandler(testLog{t}, nil))
		c, err := slaq.New(st, cfg)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if err := slaq.StartWithSignals(context.Background(), c); err != nil {
			t.Fatalf("Start: %v", err)
		}
		t.Cleanup(func() { stopClient(t, c) })
		cs = append(cs, c)
	}
	return cs
}

// testLog writes a client's logs to the test's log (shown when it fails or with -v).
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func stopClient(t *testing.T, c *slaq.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// restart starts stopped clients again, with their test signals.
func restart(t *testing.T, cs []*slaq.Client) {
	t.Helper()
	for _, c := range cs {
		if err := slaq.StartWithSignals(context.Background(), c); err != nil {
			t.Fatalf("Start again: %v", err)
		}
	}
}

// expectTick waits until every client has handled schedule name's tick and checks how:
// fired (its job is in the store) or missed.
func expectTick(t *testing.T, cs []*slaq.Client, name string, tick time.Time, fired bool) {
	t.Helper()
	for i, c := range cs {
		got, err := slaq.WaitTick(c, tickWait, func(k maint.CronTick) bool { return k.Name == name && k.Tick.Equal(tick) })
		switch {
		case err != nil:
			t.Fatalf("replica %d: tick %s of %q: %v", i, tick.UTC(), name, err)
		case fired && !got.Fired, !fired && !got.Missed:
			t.Fatalf("replica %d: tick %s of %q: %+v, want fired=%v", i, tick.UTC(), name, got, fired)
		}
	}
}

// tickKeys returns the unique keys of every waiting job of tiers, sorted, after checking that
// each is a schedule's tick key.
func tickKeys(t *testing.T, c *slaq.Client, tiers ...slaq.Tier) []string {
	t.Helper()
	var keys []string
	for _, tier := range tiers {
		p, err := c.List(context.Background(), slaq.ListRequest{Tier: tier, State: store.StateWaiting, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range p.Jobs {
			if !strings.HasPrefix(j.UniqueKey, "cron:") {
				t.Fatalf("job %s has unique key %q, want cron:<name>:<tick ms>", j.ID, j.UniqueKey)
			}
			keys = append(keys, j.UniqueKey)
		}
	}
	slices.Sort(keys)
	return keys
}

func tickKey(name string, tick time.Time) string {
	return "cron:" + name + ":" + strconv.FormatInt(tick.UnixMilli(), 10)
}

func sortedKeys(name string, ticks ...time.Time) []string {
	var keys []string
	for _, tk := range ticks {
		keys = append(keys, tickKey(name, tk))
	}
	slices.Sort(keys)
	return keys
}

// Several replicas with the same schedules, on one store, store each tick's job once: three
// clients on one Redis, two on one SQLite file, across several ticks of two schedules.
func TestScheduleFiresOncePerTick(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind     string
		replicas int
	}{{"redis", 3}, {"embedded", 2}} {
		t.Run(fmt.Sprintf("%s_%d_replicas", tc.kind, tc.replicas), func(t *testing.T) {
			t.Parallel()
			clock := service.NewFakeClock(monday0859)
			cs := startScheduled(t, sharedStores(t, tc.kind, tc.replicas), clock, slaq.Config{Schedules: []slaq.Schedule{
				{Name: "minutely", Spec: "* * * * *", Type: "tick", Options: []slaq.Option{slaq.WithTier(slaq.Low)}},
				{Name: "every-90s", Spec: "@every 90s", Zone: "Asia/Kolkata", Type: "tick90", Payload: map[string]int{"n": 1}},
			}})
			var want []string
			for range 6 {
				st := cs[0].Schedules()
				next := st[0].NextRun
				if st[1].NextRun.Before(next) {
					next = st[1].NextRun
				}
				clock.Set(next)
				for _, s := range st {
					if s.NextRun.Equal(next) {
						expectTick(t, cs, s.Name, next, true)
						want = append(want, tickKey(s.Name, next))
					}
				}
			}
			slices.Sort(want)
			if len(want) < 8 {
				t.Fatalf("only %d ticks in 6 steps: %v", len(want), want)
			}
			if got := tickKeys(t, cs[0], slaq.Low, slaq.Medium); !slices.Equal(got, want) {
				t.Fatalf("stored jobs for ticks\n%v\nwant one per tick\n%v", got, want)
			}
			// Every replica saw the same last run, with the id of the one stored job.
			first := cs[0].Schedules()
			for i, c := range cs {
				for k, s := range c.Schedules() {
					if !s.LastRun.Equal(first[k].LastRun) || s.LastID == "" || s.LastID != first[k].LastID {
						t.Errorf("replica %d schedule %s: last run %s id %q; replica 0: %s %q", i, s.Name, s.LastRun, s.LastID,
							first[k].LastRun, first[k].LastID)
					}
				}
			}
			j, err := cs[0].Job(context.Background(), first[1].LastID)
			if err != nil || j.UniqueKey != tickKey("every-90s", first[1].LastRun) || j.Tier != slaq.Medium || string(j.Payload) != `{"n":1}` {
				t.Fatalf("last every-90s job: %+v, %v", j, err)
			}
			if first[1].LastRun.UnixMilli()%90_000 != 0 {
				t.Errorf("@every 90s ticked at %s: want a multiple of 90 s since the epoch", first[1].LastRun)
			}
		})
	}
}

// After downtime, MissedSkip fires no missed tick and MissedCatchUp fires the most recent one
// once (also at a schedule's first start); while running, a tick found later than the
// tolerance (the process was suspended) is handled the same way.
func TestScheduleMissedTicks(t *testing.T) {
	t.Parallel()
	at := func(h, m int) time.Time { return time.Date(2026, 1, 5, h, m, 0, 0, time.UTC) }
	for _, kind := range []string{"embedded", "redis"} {
		for _, policy := range []slaq.MissedPolicy{slaq.MissedSkip, slaq.MissedCatchUp} {
			t.Run(kind+"_"+policy.String(), func(t *testing.T) {
				t.Parallel()
				catchUp := policy == slaq.MissedCatchUp
				clock := service.NewFakeClock(at(8, 30))
				cs := startScheduled(t, sharedStores(t, kind, 2), clock, slaq.Config{Schedules: []slaq.Schedule{
					{Name: "hourly", Spec: "0 * * * *", Type: "report", Missed: policy},
				}})
				var want []time.Time
				if catchUp { // first start: the 08:00 tick never ran
					expectTick(t, cs, "hourly", at(8, 0), true)
					want = append(want, at(8, 0))
				}
				clock.Set(at(9, 0))
				expectTick(t, cs, "hourly", at(9, 0), true)
				want = append(want, at(9, 0))

				// Downtime over the 10:00, 11:00 and 12:00 ticks.
				for _, c := range cs {
					stopClient(t, c)
				}
				clock.Set(at(12, 30))
				restart(t, cs)
				if catchUp {
					expectTick(t, cs, "hourly", at(12, 0), true)
					want = append(want, at(12, 0))
				}
				clock.Set(at(13, 0))
				expectTick(t, cs, "hourly", at(13, 0), true)
				want = append(want, at(13, 0))

				// Suspended: the 14:00 tick is found at 14:05, past the 1 min tolerance.
				clock.Set(at(14, 5))
				expectTick(t, cs, "hourly", at(14, 0), catchUp)
				if catchUp {
					want = append(want, at(14, 0))
				}
				clock.Set(at(15, 0))
				expectTick(t, cs, "hourly", at(15, 0), true)
				want = append(want, at(15, 0))

				if got, w := tickKeys(t, cs[0], slaq.Medium), sortedKeys("hourly", want...); !slices.Equal(got, w) {
					t.Fatalf("stored ticks\n%v\nwant\n%v", got, w)
				}
			})
		}
	}
}

// Client.Schedules lists each schedule with its zone, tier and next run before anything ran,
// and with the last run and its job once a tick fired; a catch-up schedule learns its last
// run at start. These are the guide's two schedules.
func TestSchedulesListing(t *testing.T) {
	t.Parallel()
	clock := service.NewFakeClock(monday0859)
	cfg := slaq.Config{
		Types: map[string]slaq.TypeConfig{"cleanup_old_logs": {Tier: slaq.Batch}},
		Schedules: []slaq.Schedule{
			{Name: "cleanup", Spec: "0 2 * * *", Type: "cleanup_old_logs", Payload: map[string]int{"days": 90}},
			{Name: "newsletter", Spec: "0 9 * * MON", Zone: "Europe/Berlin", Type: "send_bulk_emails",
				Options: []slaq.Option{slaq.WithTier(slaq.Low)}, Missed: slaq.MissedCatchUp},
		},
	}
	st := sharedStores(t, "embedded", 1)
	cfg.Clock, cfg.Logger = clock, slog.New(slog.NewTextHandler(testLog{t}, nil))
	c, err := slaq.New(st[0], cfg)
	if err != nil {
		t.Fatal(err)
	}
	berlinMonday9 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC) // 09:00 CET, an hour before the clock
	want := []slaq.ScheduleStatus{
		{Name: "cleanup", Spec: "0 2 * * *", Zone: "UTC", Type: "cleanup_old_logs", Tier: slaq.Batch, Missed: slaq.MissedSkip,
			NextRun: time.Date(2026, 1, 6, 2, 0, 0, 0, time.UTC)},
		{Name: "newsletter", Spec: "0 9 * * MON", Zone: "Europe/Berlin", Type: "send_bulk_emails", Tier: slaq.Low,
			Missed: slaq.MissedCatchUp, NextRun: berlinMonday9.AddDate(0, 0, 7)},
	}
	checkStatus(t, "before Start", c.Schedules(), want)

	if err := slaq.StartWithSignals(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopClient(t, c) })
	expectTick(t, []*slaq.Client{c}, "newsletter", berlinMonday9, true) // caught up at start
	want[1].LastRun = berlinMonday9
	got := c.Schedules()
	want[1].LastID = got[1].LastID
	checkStatus(t, "after the catch-up", got, want)

	clock.Set(want[0].NextRun)
	expectTick(t, []*slaq.Client{c}, "cleanup", want[0].NextRun, true)
	got = c.Schedules()
	want[0].LastRun, want[0].LastID, want[0].NextRun = want[0].NextRun, got[0].LastID, want[0].NextRun.AddDate(0, 0, 1)
	checkStatus(t, "after the cleanup tick", got, want)
	for _, s := range got {
		j, err := c.Job(context.Background(), s.LastID)
		if err != nil || j.Type != s.Type || j.Tier != s.Tier || j.UniqueKey != tickKey(s.Name, s.LastRun) {
			t.Fatalf("job of %s: %+v, %v", s.Name, j, err)
		}
		if s.Name == "cleanup" && string(j.Payload) != `{"days":90}` {
			t.Errorf("cleanup payload %s", j.Payload)
		}
	}
}

func checkStatus(t *testing.T, when string, got, want []slaq.ScheduleStatus) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d schedules, want %d", when, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Spec != w.Spec || g.Zone != w.Zone || g.Type != w.Type || g.Tier != w.Tier ||
			g.Missed != w.Missed || !g.LastRun.Equal(w.LastRun) || g.LastID != w.LastID || !g.NextRun.Equal(w.NextRun) ||
			g.LastError != "" || (!w.LastRun.IsZero() && g.LastID == "") {
			t.Errorf("%s: schedule %d\n got %+v\nwant %+v", when, i, g, w)
		}
	}
}

// Daylight-saving days in America/New_York, as the Schedule doc states them: a daily 02:30
// does not run on the spring-forward day and runs once on the fall-back day; a daily 01:30
// runs twice on the fall-back day; an hourly schedule has no 02:00 on the spring-forward day.
// Each case is checked on Schedule.Next and on a client firing on a fake clock.
func TestScheduleDaylightSaving(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	d := func(mo time.Month, day, h, m int) time.Time { return time.Date(2026, mo, day, h, m, 0, 0, ny) }
	// The two 01:30s of 1 November 2026: EDT (05:30 UTC) then EST (06:30 UTC).
	fallBack0130EDT := time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)
	cases := []struct {
		name     string
		spec     string
		from, to time.Time
		want     []time.Time
	}{
		{"spring_forward_0230", "30 2 * * *", d(3, 6, 12, 0), d(3, 9, 12, 0),
			[]time.Time{d(3, 7, 2, 30), d(3, 9, 2, 30)}}, // no 8 March
		{"fall_back_0230", "30 2 * * *", d(10, 30, 12, 0), d(11, 2, 12, 0),
			[]time.Time{d(10, 31, 2, 30), d(11, 1, 2, 30), d(11, 2, 2, 30)}}, // once on 1 November
		{"fall_back_0130", "30 1 * * *", d(10, 30, 12, 0), d(11, 2, 12, 0),
			[]time.Time{d(10, 31, 1, 30), fallBack0130EDT, fallBack0130EDT.Add(time.Hour), d(11, 2, 1, 30)}},
		{"spring_forward_hourly", "0 * * * *", d(3, 8, 0, 30), d(3, 8, 4, 30),
			[]time.Time{d(3, 8, 1, 0), d(3, 8, 3, 0), d(3, 8, 4, 0)}}, // no 02:00
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sched := slaq.Schedule{Name: tc.name, Spec: tc.spec, Zone: "America/New_York", Type: "nightly"}
			var got []time.Time // from a UTC time: the zone is the schedule's, not the clock's
			for tk, err := sched.Next(tc.from.UTC()); tk.Before(tc.to); tk, err = sched.Next(tk) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, tk)
			}
			if !slices.EqualFunc(got, tc.want, time.Time.Equal) {
				t.Fatalf("Next: ticks %v\nwant %v", got, tc.want)
			}

			clock := service.NewFakeClock(tc.from.UTC())
			cs := startScheduled(t, sharedStores(t, "embedded", 1), clock, slaq.Config{Schedules: []slaq.Schedule{sched}})
			for {
				next := cs[0].Schedules()[0].NextRun
				if !next.Before(tc.to) {
					break
				}
				clock.Set(next)
				expectTick(t, cs, tc.name, next, true)
			}
			if keys, w := tickKeys(t, cs[0], slaq.Medium), sortedKeys(tc.name, tc.want...); !slices.Equal(keys, w) {
				t.Fatalf("fired ticks %v\nwant %v", keys, w)
			}
		})
	}
}

// flakyStore fails every Enqueue while fail is set, as a store that does not answer would.
type flakyStore struct {
	store.Store
	fail atomic.Bool
}

func (s *flakyStore) Enqueue(ctx context.Context, now int64, jobs []*store.Job) ([]store.EnqueueResult, error) {
	if s.fail.Load() {
		return nil, errors.New("injected: connection refused")
	}
	return s.Store.Enqueue(ctx, now, jobs)
}

// A tick whose job the store did not take is tried again with back-off while it is due (the
// unique key makes the retry safe), and given up on when a later tick comes.
func TestScheduleRetriesWhileStoreFails(t *testing.T) {
	t.Parallel()
	st := &flakyStore{Store: sharedStores(t, "embedded", 1)[0]}
	clock := service.NewFakeClock(monday0859)
	cs := startScheduled(t, []store.Store{st}, clock, slaq.Config{Schedules: []slaq.Schedule{
		{Name: "minutely", Spec: "* * * * *", Type: "tick"},
	}})
	c := cs[0]
	at := func(m, s int) time.Time { return time.Date(2026, 1, 5, 9, m, s, 0, time.UTC) }
	failed := func(tick time.Time) {
		t.Helper()
		k, err := slaq.WaitTick(c, tickWait, func(k maint.CronTick) bool { return k.Tick.Equal(tick) })
		if err != nil || k.Err == nil || !strings.Contains(k.Err.Error(), "injected") {
			t.Fatalf("tick %s: %+v, %v; want the store's error", tick, k, err)
		}
	}
	st.fail.Store(true)
	clock.Set(at(0, 0))
	failed(at(0, 0))
	if s := c.Schedules()[0]; !strings.Contains(s.LastError, "injected") || !s.LastRun.IsZero() {
		t.Fatalf("status after a failure: %+v", s)
	}
	clock.Advance(slaq.DefaultStoreRetryMin)
	failed(at(0, 0)) // tried again after the back-off, failed again
	st.fail.Store(false)
	clock.Advance(2 * slaq.DefaultStoreRetryMin)
	expectTick(t, cs, "minutely", at(0, 0), true)
	if s := c.Schedules()[0]; s.LastError != "" || !s.LastRun.Equal(at(0, 0)) {
		t.Fatalf("status after the retry: %+v", s)
	}

	st.fail.Store(true)
	clock.Set(at(1, 0))
	failed(at(1, 0))
	clock.Set(at(2, 30)) // the 09:02 tick comes while 09:01 still fails: 09:01 is given up
	expectTick(t, cs, "minutely", at(1, 0), false)
	failed(at(2, 0))
	st.fail.Store(false)
	clock.Advance(slaq.DefaultStoreRetryMin)
	expectTick(t, cs, "minutely", at(2, 0), true)
	if got, w := tickKeys(t, c, slaq.Medium), sortedKeys("minutely", at(0, 0), at(2, 0)); !slices.Equal(got, w) {
		t.Fatalf("stored ticks %v, want %v", got, w)
	}
}

// New refuses a bad schedule with an error wrapping ErrInvalid (and ErrInvalidConfig) that
// names it and says what is wrong.
func TestScheduleInvalid(t *testing.T) {
	t.Parallel()
	st := sharedStores(t, "embedded", 1)[0]
	ok := slaq.Schedule{Name: "s", Spec: "0 2 * * *", Type: "t"}
	with := func(f func(*slaq.Schedule)) []slaq.Schedule {
		s := ok
		f(&s)
		return []slaq.Schedule{s}
	}
	cases := []struct {
		name      string
		schedules []slaq.Schedule
		want      string
	}{
		{"hour_out_of_range", with(func(s *slaq.Schedule) { s.Spec = "0 25 * * *" }), `schedule "s": cron spec "0 25 * * *": end of range (25) above maximum (23)`},
		{"four_fields", with(func(s *slaq.Schedule) { s.Spec = "* * * *" }), "expected exactly 5 fields"},
		{"six_fields", with(func(s *slaq.Schedule) { s.Spec = "0 0 2 * * *" }), "expected exactly 5 fields"},
		{"unknown_descriptor", with(func(s *slaq.Schedule) { s.Spec = "@sometimes" }), "unrecognized descriptor"},
		{"empty_spec", with(func(s *slaq.Schedule) { s.Spec = "  " }), "empty cron spec"},
		{"bad_step", with(func(s *slaq.Schedule) { s.Spec = "*/0 * * * *" }), "step"},
		{"reversed_range", with(func(s *slaq.Schedule) { s.Spec = "5-1 * * * *" }), "beyond end of range"},
		{"day_of_week_7", with(func(s *slaq.Schedule) { s.Spec = "0 9 * * 7" }), "above maximum (6)"},
		{"every_zero", with(func(s *slaq.Schedule) { s.Spec = "@every 0s" }), "@every wants"},
		{"every_sub_second", with(func(s *slaq.Schedule) { s.Spec = "@every 500ms" }), "@every wants"},
		{"every_fraction", with(func(s *slaq.Schedule) { s.Spec = "@every 1.5s" }), "@every wants"},
		{"every_negative", with(func(s *slaq.Schedule) { s.Spec = "@every -1m" }), "@every wants"},
		{"every_nothing", with(func(s *slaq.Schedule) { s.Spec = "@every" }), "@every wants"},
		{"never_fires", with(func(s *slaq.Schedule) { s.Spec = "0 0 30 2 *" }), "never fires"},
		{"zone_in_spec", with(func(s *slaq.Schedule) { s.Spec = "CRON_TZ=UTC 0 2 * * *" }), "names a time zone"},
		{"unknown_zone", with(func(s *slaq.Schedule) { s.Zone = "Mars/Olympus_Mons" }), `zone "Mars/Olympus_Mons": unknown time zone`},
		{"local_zone", with(func(s *slaq.Schedule) { s.Zone = "Local" }), "Local differs between machines"},
		{"zone_path", with(func(s *slaq.Schedule) { s.Zone = "/etc/localtime" }), "unknown time zone"},
		{"no_name", with(func(s *slaq.Schedule) { s.Name = "" }), "schedule 1: needs a name"},
		{"control_in_name", with(func(s *slaq.Schedule) { s.Name = "a\nb" }), "control character"},
		{"long_name", with(func(s *slaq.Schedule) { s.Name = strings.Repeat("n", slaq.MaxScheduleNameLength+1) }), "over the limit of 128"},
		{"duplicate_name", []slaq.Schedule{ok, ok}, `schedule "s": the name is used by an earlier schedule`},
		{"no_type", with(func(s *slaq.Schedule) { s.Type = "" }), "job type is empty"},
		{"unknown_tier", with(func(s *slaq.Schedule) { s.Options = []slaq.Option{slaq.WithTier(9)} }), "unknown tier"},
		{"unique_option", with(func(s *slaq.Schedule) { s.Options = []slaq.Option{slaq.Unique("k", 0)} }), "unique key from the tick"},
		{"bad_option", with(func(s *slaq.Schedule) { s.Options = []slaq.Option{slaq.Timeout(-time.Second)} }), "timeout must be positive"},
		{"bad_payload", with(func(s *slaq.Schedule) { s.Payload = json.RawMessage("{") }), "payload is not valid JSON"},
		{"unknown_policy", with(func(s *slaq.Schedule) { s.Missed = 7 }), "unknown missed-tick policy 7"},
		{"negative_window", with(func(s *slaq.Schedule) { s.CatchUpWindow = -time.Hour }), "negative CatchUpWindow"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := slaq.New(st, slaq.Config{Schedules: tc.schedules})
			if err == nil {
				t.Fatalf("New accepted %+v", tc.schedules)
			}
			if c != nil || !errors.Is(err, slaq.ErrInvalid) || !errors.Is(err, slaq.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v\nwant an error wrapping ErrInvalid and ErrInvalidConfig, saying %q", err, tc.want)
			}
		})
	}
	// The same specs and zones through Schedule.Next.
	for _, tc := range cases[:18] {
		if _, err := tc.schedules[0].Next(time.Now()); !errors.Is(err, slaq.ErrInvalid) {
			t.Errorf("%s: Next: %v, want ErrInvalid", tc.name, err)
		}
	}
	// Good ones pass, descriptors and names included.
	for _, spec := range []string{"0 2 * * *", "0 9 * * MON", "*/15 9-17 * * mon-fri", "0 0 1 JAN,JUL *", "@daily", "@weekly",
		"@every 10m", " @every 1h30m ", "0 0 29 2 *", "@midnight", "@hourly"} {
		if _, err := slaq.New(st, slaq.Config{Schedules: []slaq.Schedule{{Name: "s", Spec: spec, Zone: "America/New_York", Type: "t"}}}); err != nil {
			t.Errorf("New refused %q: %v", spec, err)
		}
	}
	if p, err := slaq.ParseMissedPolicy("Catch_Up"); err != nil || p != slaq.MissedCatchUp {
		t.Errorf("ParseMissedPolicy(Catch_Up) = %v, %v", p, err)
	}
	if _, err := slaq.ParseMissedPolicy("sometimes"); !errors.Is(err, slaq.ErrInvalid) {
		t.Errorf("ParseMissedPolicy(sometimes): %v", err)
	}
}

// Schedule.Next: descriptors, zones, and @every counted from the epoch.
func TestScheduleNext(t *testing.T) {
	t.Parallel()
	from := monday0859 // Monday 08:59:30 UTC
	cases := []struct {
		spec, zone string
		want       time.Time
	}{
		{"0 2 * * *", "", time.Date(2026, 1, 6, 2, 0, 0, 0, time.UTC)},
		{"0 9 * * MON", "", time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)},
		{"0 9 * * MON", "Europe/Berlin", time.Date(2026, 1, 12, 8, 0, 0, 0, time.UTC)}, // 09:00 CET passed an hour ago
		{"0 9 * * MON", "America/New_York", time.Date(2026, 1, 5, 14, 0, 0, 0, time.UTC)},
		{"@daily", "Asia/Tokyo", time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)},
		{"@hourly", "Asia/Kolkata", time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)}, // UTC+5:30
		{"@every 10m", "Asia/Kolkata", time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)},
		{"@every 7m", "", time.UnixMilli((from.UnixMilli()/420_000 + 1) * 420_000)},
		{"* * * * *", "", time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		got, err := slaq.Schedule{Spec: tc.spec, Zone: tc.zone}.Next(from)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("Next(%q in %q) = %s, %v; want %s", tc.spec, tc.zone, got.UTC(), err, tc.want)
		}
	}
	// Strictly after: at a tick, the next one.
	tick := time.Date(2026, 1, 6, 2, 0, 0, 0, time.UTC)
	if got, _ := (slaq.Schedule{Spec: "0 2 * * *"}).Next(tick); !got.Equal(tick.AddDate(0, 0, 1)) {
		t.Errorf("Next at a tick = %s", got)
	}
	if got, _ := (slaq.Schedule{Spec: "@every 1m"}).Next(tick); !got.Equal(tick.Add(time.Minute)) {
		t.Errorf("@every Next at a tick = %s", got)
	}
}
