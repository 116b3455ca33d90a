package slaq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/slaqhq/slaq/internal/maint"
	"github.com/slaqhq/slaq/store"
)

// schedule is a checked Config.Schedules entry with what this process saw of it.
type schedule struct {
	Schedule
	spec    *cronSpec
	zone    string
	tier    Tier
	payload json.RawMessage
	window  time.Duration

	mu      sync.Mutex
	lastRun time.Time
	lastID  string
	lastErr string
}

// resolveSchedules checks Config.Schedules; each problem is an error wrapping ErrInvalid.
func (c *Client) resolveSchedules() error {
	var errs []error
	seen := make(map[string]bool)
	now := c.cfg.clock.Now()
	for i, s := range c.cfg.Schedules {
		who := fmt.Sprintf("schedule %q", s.Name)
		if s.Name == "" {
			who = fmt.Sprintf("schedule %d", i+1)
		}
		sc, err := c.checkSchedule(now, s)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", who, err))
		case seen[s.Name]:
			errs = append(errs, fmt.Errorf("%s: %w", who, badSchedule("the name is used by an earlier schedule")))
		default:
			seen[s.Name] = true
			c.schedules = append(c.schedules, sc)
		}
	}
	return errors.Join(errs...)
}

// checkSchedule checks one schedule: name, spec, zone, policy, and the job it would enqueue.
func (c *Client) checkSchedule(now time.Time, s Schedule) (*schedule, error) {
	if s.Name == "" {
		return nil, badSchedule("needs a name")
	}
	if err := checkText("schedule name", s.Name, MaxScheduleNameLength); err != nil {
		return nil, err
	}
	spec, err := parseSpec(s.Spec, s.Zone)
	if err != nil {
		return nil, err
	}
	if spec.next(now).IsZero() {
		return nil, badSchedule("cron spec %q never fires", s.Spec)
	}
	if s.Missed != MissedSkip && s.Missed != MissedCatchUp {
		return nil, badSchedule("unknown missed-tick policy %d: want MissedSkip or MissedCatchUp", s.Missed)
	}
	if s.CatchUpWindow < 0 {
		return nil, badSchedule("negative CatchUpWindow %s", s.CatchUpWindow)
	}
	var o enqueueOptions
	for _, opt := range s.Options {
		opt(&o)
	}
	if o.uniqueKey != "" {
		return nil, badSchedule("%v", errNoUnique)
	}
	payload, err := schedulePayload(s.Payload)
	if err != nil {
		return nil, err
	}
	// The job a tick would enqueue: checks the type, the payload's size and the options.
	j, err := c.buildJob(now, Request{Type: s.Type, Payload: payload, Options: s.Options})
	if err != nil {
		return nil, err
	}
	sc := &schedule{Schedule: s, spec: spec, zone: spec.loc.String(), tier: j.Tier, payload: payload,
		window: s.CatchUpWindow}
	if sc.window == 0 {
		sc.window = DefaultCatchUpWindow
	}
	sc.Options = slices.Clip(slices.Clone(s.Options))
	return sc, nil
}

// Schedules lists Config.Schedules in order, each with its tier, the latest tick this process
// saw enqueued (see [ScheduleStatus.LastRun]) and the next tick after now.
func (c *Client) Schedules() []ScheduleStatus {
	now := c.cfg.clock.Now()
	out := make([]ScheduleStatus, len(c.schedules))
	for i, s := range c.schedules {
		s.mu.Lock()
		out[i] = ScheduleStatus{Name: s.Name, Spec: s.Spec, Zone: s.zone, Type: s.Type, Tier: s.tier, Missed: s.Missed,
			LastRun: s.lastRun, LastID: s.lastID, LastError: s.lastErr, NextRun: s.spec.next(now)}
		s.mu.Unlock()
	}
	return out
}

// cronService returns the service that fires the schedules, nil when there are none.
func (c *Client) cronService() *maint.Cron {
	if len(c.schedules) == 0 {
		return nil
	}
	r := c.cfg
	entries := make([]maint.CronEntry, len(c.schedules))
	for i, s := range c.schedules {
		entries[i] = maint.CronEntry{Name: s.Name, Next: s.spec.next, CatchUp: s.Missed == MissedCatchUp, Window: s.window,
			Fire: func(ctx context.Context, tick time.Time) error { return c.fire(ctx, s, tick) }}
	}
	return maint.NewCron(maint.CronConfig{Clock: r.clock, Logger: r.log, Entries: entries, Tolerance: r.ScheduleTolerance,
		RetryMin: r.StoreRetryMin, RetryMax: r.StoreRetryMax})
}

// fire enqueues the job of s's tick under the tick's unique key, so that it is stored once
// however many replicas fire the tick. DegradeDirect does not apply (each replica would run
// it); DegradeSpool does (the forward keeps the unique key).
func (c *Client) fire(ctx context.Context, s *schedule, tick time.Time) error {
	now := c.cfg.clock.Now()
	key := "cron:" + s.Name + ":" + strconv.FormatInt(tick.UnixMilli(), 10)
	opts := append(s.Options, Unique(key, c.keyTTL(s, tick)))
	j, err := c.buildJob(now, Request{Type: s.Type, Payload: s.payload, Options: opts})
	if err != nil { // checked at New; only a changed Option could fail here
		c.cfg.log.Error("slaq: schedule cannot build its job", "schedule", s.Name, "tick", tick, "err", err)
		s.record(tick, "", err)
		return nil
	}
	res, err := c.enqueueJobs(ctx, now, []*Job{j}, false)
	if err != nil {
		s.record(tick, "", err)
		return err
	}
	s.record(tick, res[0].ID, nil)
	return nil
}

// keyTTL is how long a tick's unique key is held: as long as any replica may still fire the
// tick (until the next tick, or until it is too late for the policy, whichever is sooner),
// plus the tolerance for replicas' clocks.
func (c *Client) keyTTL(s *schedule, tick time.Time) time.Duration {
	allowed := c.cfg.ScheduleTolerance
	if s.Missed == MissedCatchUp {
		allowed = max(allowed, s.window)
	}
	if next := s.spec.next(tick); !next.IsZero() {
		allowed = min(allowed, next.Sub(tick))
	}
	return allowed + c.cfg.ScheduleTolerance
}

// record notes the outcome of a tick: the job's id, or why it failed.
func (s *schedule) record(tick time.Time, id string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.lastErr = err.Error()
		return
	}
	s.lastErr = ""
	if !tick.Before(s.lastRun) {
		s.lastRun, s.lastID = tick, id
	}
}

// resultsOf turns ids into enqueue results of stored jobs.
func resultsOf(ids []string) []store.EnqueueResult {
	if ids == nil {
		return nil
	}
	res := make([]store.EnqueueResult, len(ids))
	for i, id := range ids {
		res[i].ID = id
	}
	return res
}
