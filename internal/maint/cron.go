package maint

import (
	"context"
	"time"

	"github.com/slaqhq/slaq/internal/service"
)

// CronEntry is one schedule as the cron service sees it: when it ticks, what its missed-tick
// policy is, and how a tick's job is enqueued.
type CronEntry struct {
	Name string
	// Next returns the schedule's first tick strictly after t, or the zero time when there is
	// none.
	Next func(t time.Time) time.Time
	// CatchUp makes a tick missed while no process ran (or while this one was suspended) fire
	// once, late, when it is the most recent one and at most Window old. Without it, a tick
	// more than the service's Tolerance late is skipped.
	CatchUp bool
	// Window is how old a missed tick may be and still be caught up (CatchUp only).
	Window time.Duration
	// Fire enqueues the tick's job. Every replica calls it for the same tick, so it must be
	// idempotent per tick (slaq's unique key "cron:<name>:<tick ms>" makes it so). An error is
	// retried with back-off while the tick is still due and no later tick has come.
	Fire func(ctx context.Context, tick time.Time) error
}

// CronConfig configures a Cron.
type CronConfig struct {
	Clock   service.Clock
	Logger  service.Logger
	Entries []CronEntry
	// Tolerance is how late a tick may be fired and still count as on time; a later one is
	// missed and its entry's policy decides.
	Tolerance time.Duration
	// RetryMin and RetryMax bound the pause before a failed Fire is tried again: it doubles
	// from RetryMin to RetryMax.
	RetryMin, RetryMax time.Duration
}

// CronTick is what the service did about one tick of one entry (its test signal).
type CronTick struct {
	Name string
	Tick time.Time
	// Fired: Fire returned nil (the tick's job is in the store, enqueued by this process or
	// found there, enqueued by another replica).
	Fired bool
	// Missed: the tick was too late for the entry's policy and was skipped (or given up on
	// after failed tries).
	Missed bool
	// Err is Fire's error; the tick is tried again while it is due.
	Err error
}

// Cron fires schedules without a leader: every replica runs one, wakes at each entry's next
// tick on the clock, and calls the entry's Fire, which is idempotent per tick, so the tick's
// job is stored once however many replicas fire it.
//
// Ticks before Start are handled by each entry's policy: skipped, or (CatchUp) the most
// recent one no older than Window fired once. While running, a tick found more than
// Tolerance late (the process was suspended, or the clock jumped) is handled the same way.
// Of several ticks due at once, only the most recent can fire: a schedule never fires a
// burst of catch-up runs.
type Cron struct {
	base
	cfg   CronConfig
	state []cronState
	// Ticked is signalled after each tick the service handled: fired, failed or missed.
	Ticked service.Signal[CronTick]
}

// cronState is where one entry stands.
type cronState struct {
	done    time.Time     // every tick at or before done has been handled
	pending time.Time     // a due tick not yet fired (zero: none)
	retryAt time.Time     // when to fire pending
	backoff time.Duration // the pause after the latest failed Fire of pending
}

// NewCron returns a cron service for cfg.
func NewCron(cfg CronConfig) *Cron {
	return &Cron{base: base{clock: cfg.Clock, logger: cfg.Logger}, cfg: cfg, state: make([]cronState, len(cfg.Entries))}
}

// Start sets every entry's starting point (now: ticks before it are missed, and a CatchUp
// entry looks back over its Window) and starts the loop, which runs until Stop (ctx only
// carries values).
func (c *Cron) Start(ctx context.Context) error {
	now := c.clock.Now()
	for i, e := range c.cfg.Entries {
		c.state[i] = cronState{done: now.Add(-time.Millisecond)} // a tick at the very instant of Start is on time
		if e.CatchUp {
			c.state[i].done = now.Add(-c.allowed(e))
		}
	}
	return c.loop.Start(context.WithoutCancel(ctx), c.run)
}

// allowed is how late a tick of e may fire.
func (c *Cron) allowed(e CronEntry) time.Duration {
	if e.CatchUp {
		return max(c.cfg.Tolerance, e.Window)
	}
	return c.cfg.Tolerance
}

func (c *Cron) run(ctx context.Context) {
	for {
		var wake time.Time
		for i := range c.cfg.Entries {
			w := c.step(ctx, i, c.clock.Now())
			if ctx.Err() != nil {
				return
			}
			if !w.IsZero() && (wake.IsZero() || w.Before(wake)) {
				wake = w
			}
		}
		if wake.IsZero() {
			<-ctx.Done() // no entry ticks again
			return
		}
		if !service.SleepUntil(ctx, c.clock, wake) {
			return
		}
	}
}

// step handles entry i at now: it takes the latest tick due since the last step, fires it
// (or a pending one whose retry is due), and returns when the entry next needs a step.
func (c *Cron) step(ctx context.Context, i int, now time.Time) time.Time {
	e, s := c.cfg.Entries[i], &c.state[i]
	if first := e.Next(s.done); !first.IsZero() && !first.After(now) {
		latest := c.latestDue(e, s.done, now)
		s.done = now
		if !s.pending.IsZero() { // still failing when a later tick came: that one wins
			c.logger.Warn("slaq: schedule gave up on a tick it could not enqueue: a later tick came",
				"schedule", e.Name, "tick", s.pending)
			c.Ticked.Signal(CronTick{Name: e.Name, Tick: s.pending, Missed: true})
		}
		s.pending = time.Time{}
		if latest.IsZero() {
			c.logger.Info("slaq: schedule skipped missed ticks", "schedule", e.Name, "since", first,
				"catch_up", e.CatchUp, "late_by", now.Sub(first))
			c.Ticked.Signal(CronTick{Name: e.Name, Tick: first, Missed: true})
		} else {
			if late := now.Sub(latest); late > c.cfg.Tolerance {
				c.logger.Info("slaq: schedule fires a late tick (catch-up; a no-op if it ran already)",
					"schedule", e.Name, "tick", latest, "late_by", late)
			}
			s.pending, s.retryAt, s.backoff = latest, now, 0
		}
	}
	if !s.pending.IsZero() && !now.Before(s.retryAt) {
		c.fire(ctx, e, s, now)
	}
	wake := e.Next(now)
	if !s.pending.IsZero() && (wake.IsZero() || s.retryAt.Before(wake)) {
		wake = s.retryAt
	}
	return wake
}

// fire calls e.Fire for the pending tick; a failure is retried later while the tick is due.
func (c *Cron) fire(ctx context.Context, e CronEntry, s *cronState, now time.Time) {
	tick := s.pending
	if late := now.Sub(tick); late > c.allowed(e) {
		c.logger.Warn("slaq: schedule gave up on a tick it could not enqueue in time", "schedule", e.Name, "tick", tick, "late_by", late)
		s.pending = time.Time{}
		c.Ticked.Signal(CronTick{Name: e.Name, Tick: tick, Missed: true})
		return
	}
	err := e.Fire(ctx, tick)
	if err == nil {
		s.pending = time.Time{}
		c.Ticked.Signal(CronTick{Name: e.Name, Tick: tick, Fired: true})
		return
	}
	if ctx.Err() != nil {
		return
	}
	s.backoff = min(max(2*s.backoff, c.cfg.RetryMin), c.cfg.RetryMax)
	s.retryAt = now.Add(s.backoff)
	c.logger.Warn("slaq: schedule could not enqueue its tick's job; trying again", "schedule", e.Name, "tick", tick,
		"err", err, "retry_in", s.backoff)
	c.Ticked.Signal(CronTick{Name: e.Name, Tick: tick, Err: err})
}

// latestDue returns e's latest tick in (from, now] that is no older than the entry may fire,
// or the zero time when every tick due is older.
func (c *Cron) latestDue(e CronEntry, from, now time.Time) time.Time {
	if lo := now.Add(-c.allowed(e)); lo.After(from) {
		from = lo // older ticks can only be skipped: do not walk them
	}
	var latest time.Time
	for t := e.Next(from); !t.IsZero() && !t.After(now); t = e.Next(t) {
		latest = t
	}
	return latest
}
