package slaq

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/slaqhq/slaq/store"
)

// runReq is a claimed job and the home tier of the worker slot it runs on.
type runReq struct {
	job  *Job
	home int
}

// startRunners starts one goroutine per worker slot. Jobs run on these long-lived goroutines
// rather than one new goroutine each, so a handler's stack is grown once, not per job. The
// slots never hand out more jobs than there are runners, so a send on runq never waits long.
func (e *engine) startRunners() {
	n := 0
	for _, ts := range e.c.tiers {
		n += ts.Workers
	}
	e.runq = make(chan runReq, n)
	for range n {
		go func() {
			for r := range e.runq {
				e.run(r.job, r.home)
			}
		}()
	}
}

// run executes one claimed job on a worker of home tier h and reports its outcome.
func (e *engine) run(job *Job, h int) {
	c := e.c
	j := job.Tier.Index()
	defer e.jobs.Done()
	defer e.slots.done(h, j)

	start := c.clock.Now()
	c.stats[j].record(start.Sub(time.UnixMilli(job.RunAt)))

	timeout := time.Duration(job.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = c.tiers[j].Timeout
	}
	ctx, cancel := context.WithTimeout(e.jobCtx, timeout)
	err := safeProcess(ctx, e.handler, job)
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()

	if e.active[j].remove(job.ID) {
		return // Stop already handed it back
	}
	ack := e.outcome(job, err, timedOut, timeout)
	e.acker.send(ack)
}

// outcome turns a run's result into the ack that records it.
func (e *engine) outcome(job *Job, err error, timedOut bool, timeout time.Duration) store.Ack {
	c := e.c
	now := c.clock.Now()
	ack := store.Ack{ID: job.ID, Tier: job.Tier, Now: ms(now), StartedAt: job.StartedAt}
	var snooze *SnoozeError
	switch {
	case err == nil:
		ack.Kind, ack.Result = store.AckComplete, job.Result
		return ack
	case errors.As(err, &snooze):
		ack.Kind, ack.RunAt = store.AckSnooze, ms(now.Add(snooze.After))
		return ack
	case e.jobCtx.Err() != nil && !timedOut:
		ack.Kind = store.AckRelease // shutdown interrupted it: no attempt spent
		return ack
	}
	msg := err.Error()
	if timedOut && !errors.Is(err, ErrPermanent) {
		msg = fmt.Sprintf("timed out after %s: %s", timeout, msg)
	}
	ack.Error = msg
	if errors.Is(err, ErrPermanent) || job.Attempts+1 >= job.MaxAttempts {
		ack.Kind = store.AckFail
		return ack
	}
	ack.Kind = store.AckRetry
	ack.RunAt = ms(now.Add(backoffDelay(job.BackoffMs, job.Attempts+1, c.cfg.BackoffJitter)))
	return ack
}

// backoffDelay is the wait before retry n (n >= 1): base·2^(n-1), spread by ±jitter
// (a fraction; <= 0 means none).
func backoffDelay(baseMs int64, n int, jitter float64) time.Duration {
	d := float64(baseMs) * math.Pow(2, float64(n-1))
	if jitter > 0 {
		d *= 1 + jitter*(2*rand.Float64()-1)
	}
	return time.Duration(d * float64(time.Millisecond))
}

// panicError is the failure of a handler that panicked; it carries the stack.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string {
	return fmt.Sprintf("panic: %v\n%s", p.value, p.stack)
}

// safeProcess runs the handler, turning a panic into an error with its stack.
func safeProcess(ctx context.Context, h Handler, job *Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return h.ProcessJob(ctx, job)
}
