package app

// The guide's two cron jobs: cleanup daily at 02:00, the newsletter Mondays at 09:00.
//
// TODO(cron): this file moves to slaq's cron API once the `cron` branch is on main. Then
// it shrinks to the list below given to slaq.Config.Schedules, and slaq fires each tick once
// however many replicas run (and reports schedules to the dashboard itself):
//
//	Schedules: []slaq.Schedule{
//		{Name: "cleanup", Spec: "0 2 * * *", Type: jobs.TypeCleanup, Payload: jobs.Cleanup{Days: cfg.CleanupDays}},
//		{Name: "newsletter", Spec: "0 9 * * MON", Type: jobs.TypeNewsletter, Payload: jobs.Newsletter{…}},
//	}
//
// Until then the service runs them itself: one goroutine sleeps until the next tick of
// either schedule (local time) and enqueues its job with a unique key naming the tick, so
// replicas that all fire enqueue one job per tick.

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dashboard"

	"github.com/slaqhq/slaq/examples/fintech/internal/jobs"
)

// ScheduleUniqueTTL is how long a schedule tick's unique key keeps replicas from enqueueing
// the tick again: 48 h.
const ScheduleUniqueTTL = 48 * time.Hour

// schedule is one cron entry: its spec for people, and when its next tick after t is.
type schedule struct {
	name, spec, typ string
	tier            slaq.Tier
	next            func(t time.Time) time.Time
	fire            func(ctx context.Context, tick time.Time, opts ...slaq.Option) (string, error)
}

type schedules struct {
	a       *App
	entries []*schedule
	mu      sync.Mutex
	last    map[string]time.Time
	stopc   chan struct{}
	done    chan struct{}
}

func newSchedules(a *App) *schedules {
	s := &schedules{a: a, last: map[string]time.Time{}}
	s.entries = []*schedule{
		{name: "cleanup", spec: "0 2 * * *", typ: jobs.TypeCleanup, tier: slaq.Batch, next: daily(2, 0),
			fire: func(ctx context.Context, _ time.Time, opts ...slaq.Option) (string, error) {
				return a.Queue.CleanupOldLogs(ctx, a.Cfg.CleanupDays, opts...)
			}},
		{name: "newsletter", spec: "0 9 * * MON", typ: jobs.TypeNewsletter, tier: slaq.Batch, next: weekly(time.Monday, 9, 0),
			fire: func(ctx context.Context, tick time.Time, opts ...slaq.Option) (string, error) {
				y, w := tick.ISOWeek()
				return a.Queue.SendNewsletter(ctx, fmt.Sprintf("%d-W%02d", y, w), opts...)
			}},
	}
	return s
}

// fireTick enqueues sc's job for tick, once across replicas.
func (s *schedules) fireTick(ctx context.Context, sc *schedule, tick time.Time) (string, error) {
	id, err := sc.fire(ctx, tick, slaq.Unique("schedule:"+sc.name+":"+tick.UTC().Format(time.RFC3339), ScheduleUniqueTTL))
	if err == nil {
		s.mu.Lock()
		s.last[sc.name] = tick
		s.mu.Unlock()
	}
	return id, err
}

func (s *schedules) start() {
	s.stopc, s.done = make(chan struct{}), make(chan struct{})
	go s.loop()
}

func (s *schedules) stop() {
	if s.stopc == nil {
		return
	}
	close(s.stopc)
	<-s.done
	s.stopc = nil
}

func (s *schedules) loop() {
	defer close(s.done)
	log := s.a.Cfg.Logger
	for {
		now := s.a.Cfg.Now()
		var sc *schedule
		var tick time.Time
		for _, c := range s.entries {
			if t := c.next(now); sc == nil || t.Before(tick) {
				sc, tick = c, t
			}
		}
		timer := time.NewTimer(tick.Sub(now))
		select {
		case <-s.stopc:
			timer.Stop()
			return
		case <-timer.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		id, err := s.fireTick(ctx, sc, tick)
		cancel()
		if err != nil {
			log.Error("fintech: schedule did not enqueue", "schedule", sc.name, "tick", tick, "err", err)
			continue
		}
		log.Info("fintech: schedule enqueued", "schedule", sc.name, "tick", tick, "job", id)
	}
}

// list is the schedules for the dashboard's config page.
func (s *schedules) list(context.Context) ([]dashboard.Schedule, error) {
	now := s.a.Cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]dashboard.Schedule, len(s.entries))
	for i, c := range s.entries {
		out[i] = dashboard.Schedule{Name: c.name, Spec: c.spec, Type: c.typ, Tier: c.tier, LastRun: s.last[c.name], NextRun: c.next(now)}
	}
	return out, nil
}

// daily returns the next h:m (local time) strictly after t.
func daily(h, m int) func(time.Time) time.Time {
	return func(t time.Time) time.Time {
		n := time.Date(t.Year(), t.Month(), t.Day(), h, m, 0, 0, t.Location())
		if !n.After(t) {
			n = time.Date(t.Year(), t.Month(), t.Day()+1, h, m, 0, 0, t.Location())
		}
		return n
	}
}

// weekly returns the next weekday at h:m (local time) strictly after t.
func weekly(day time.Weekday, h, m int) func(time.Time) time.Time {
	return func(t time.Time) time.Time {
		d := (int(day) - int(t.Weekday()) + 7) % 7
		n := time.Date(t.Year(), t.Month(), t.Day()+d, h, m, 0, 0, t.Location())
		if !n.After(t) {
			n = time.Date(t.Year(), t.Month(), t.Day()+d+7, h, m, 0, 0, t.Location())
		}
		return n
	}
}
