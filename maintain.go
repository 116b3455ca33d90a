package slaq

import (
	"context"
	"time"
)

// deadLetterBatch is how many failed jobs of a tier the mover moves per round.
const deadLetterBatch = 100

// startMaintenance starts the background loops, which share one shape: do the work every
// interval until the engine stops. They are: a heartbeat per tier (renew the leases of
// running jobs every Lease/3, and abandon runs stuck past their timeout), the rescuer (return jobs whose leases lapsed), the cleaner
// (retention) and the dead-letter mover.
func (e *engine) startMaintenance() {
	c := e.c
	for _, t := range Tiers {
		lease := c.tiers[t.Index()].Lease
		e.every(lease/3, func(ctx context.Context) { e.heartbeat(ctx, t, lease) })
	}
	rescueEvery := c.cfg.RescueInterval
	for _, ts := range c.tiers {
		rescueEvery = min(rescueEvery, ts.Lease/2)
	}
	e.every(rescueEvery, e.rescue)
	e.every(c.cfg.CleanInterval, e.clean)
	if c.cfg.DeadLetters != nil {
		e.maintenance.Add(1)
		go func() { defer e.maintenance.Done(); e.moveDeadLetters() }()
	}
}

// every runs f every d until the engine's maintenance stops.
func (e *engine) every(d time.Duration, f func(context.Context)) {
	e.maintenance.Add(1)
	go func() {
		defer e.maintenance.Done()
		tick := time.NewTicker(d)
		defer tick.Stop()
		for {
			select {
			case <-e.maintCtx.Done():
				return
			case <-tick.C:
				f(e.maintCtx)
			}
		}
	}()
}

func (e *engine) heartbeat(ctx context.Context, t Tier, lease time.Duration) {
	e.abandonStuck(t, e.c.clock.Now())
	ids := e.active[t.Index()].ids()
	if len(ids) == 0 {
		return
	}
	until := ms(e.c.clock.Now().Add(lease))
	if err := e.c.st.ExtendLeases(ctx, t, ids, until); err != nil && ctx.Err() == nil {
		e.c.log.Warn("slaq: lease renewal failed", "tier", t, "jobs", len(ids), "err", err)
	}
}

func (e *engine) rescue(ctx context.Context) {
	for _, t := range Tiers {
		n, err := e.c.st.Rescue(ctx, t, ms(e.c.clock.Now()))
		if err != nil {
			if ctx.Err() == nil {
				e.c.log.Warn("slaq: rescue failed", "tier", t, "err", err)
			}
			return
		}
		if n > 0 {
			e.c.log.Info("slaq: rescued jobs whose leases lapsed", "tier", t, "jobs", n)
		}
	}
}

func (e *engine) clean(ctx context.Context) {
	for _, t := range Tiers {
		if _, err := e.c.st.Clean(ctx, t, ms(e.c.clock.Now()), e.c.cfg.KeepCompleted); err != nil {
			if ctx.Err() == nil {
				e.c.log.Warn("slaq: retention clean-up failed", "tier", t, "err", err)
			}
			return
		}
	}
}

// moveDeadLetters moves failed jobs from the store to the dead-letter queue: write the rows
// (idempotent on job id), then forget the jobs. A crash between the steps writes the same
// rows again later, which changes nothing. While the dead-letter database does not answer,
// the jobs wait in the store and the mover tries again every DeadLetterRetry. Otherwise it
// runs when this process records a failure, and every RescueInterval for jobs that other
// processes failed.
func (e *engine) moveDeadLetters() {
	c := e.c
	ctx := e.maintCtx
	for {
		moved, err := e.moveDeadLettersOnce(ctx)
		wait := c.cfg.RescueInterval
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.log.Warn("slaq: moving failed jobs to the dead-letter queue failed", "err", err, "retry_in", c.cfg.DeadLetterRetry)
			wait = c.cfg.DeadLetterRetry
		} else if moved {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-e.deadSig:
		case <-t.C:
		}
		t.Stop()
	}
}

// moveDeadLettersOnce moves up to one batch per tier and reports whether it moved a full batch.
func (e *engine) moveDeadLettersOnce(ctx context.Context) (full bool, err error) {
	c := e.c
	for _, t := range Tiers {
		jobs, err := c.st.Dead(ctx, t, deadLetterBatch)
		if err != nil {
			return false, err
		}
		if len(jobs) == 0 {
			continue
		}
		if err := c.cfg.DeadLetters.Add(ctx, jobs); err != nil {
			return false, err
		}
		ids := make([]string, len(jobs))
		for i, j := range jobs {
			ids[i] = j.ID
		}
		if err := c.st.Forget(ctx, t, ids); err != nil {
			return false, err
		}
		if c.cfg.OnDeadLetter != nil {
			for _, j := range jobs {
				c.cfg.OnDeadLetter(j)
			}
		}
		full = full || len(jobs) == deadLetterBatch
	}
	return full, nil
}
