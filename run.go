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
		go e.runner()
	}
}

// runner runs claimed jobs until Stop closes runq. A runner whose handler was abandoned
// (see abandonStuck) exits once that handler returns, since a replacement took its place.
func (e *engine) runner() {
	for r := range e.runq {
		if abandoned := e.run(r.job, r.home); abandoned {
			return
		}
	}
}

// run executes one claimed job on a worker of home tier h and reports its outcome. It
// reports whether the run had been abandoned meanwhile (its worker slot is then free already).
func (e *engine) run(job *Job, h int) (abandoned bool) {
	c := e.c
	j := job.Tier.Index()
	defer func() {
		if !abandoned {
			e.slots.done(h, j)
			e.jobs.Done()
		}
	}()

	start := c.clock.Now()
	c.stats[j].record(start.Sub(time.UnixMilli(job.RunAt)))

	timeout := e.timeout(job)
	ctx, cancel := context.WithTimeout(e.jobCtx, timeout)
	err := safeProcess(ctx, e.handler, job)
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()

	released, abandoned := e.active[j].remove(job)
	if released {
		return abandoned // Stop handed it back, or it was abandoned: its outcome is dropped
	}
	ack := e.outcome(job, err, timedOut, timeout)
	e.acker.send(ack)
	return false
}

// timeout is how long one run of job may take.
func (e *engine) timeout(job *Job) time.Duration {
	if job.TimeoutMs > 0 {
		return time.Duration(job.TimeoutMs) * time.Millisecond
	}
	return e.c.tiers[job.Tier.Index()].Timeout
}

// abandonStuck gives up on runs of tier t whose handler has not returned one lease after
// its timeout, although its context was cancelled at the timeout: the attempt fails (and is
// retried or dead-lettered as usual), the worker slot is freed and a new runner takes the
// stuck one's place. The stuck handler's eventual outcome is dropped; it keeps its goroutine
// until it returns. Without this, a handler that ignores its context would hold its worker
// and, through heartbeats, its job's lease for as long as the process lives.
func (e *engine) abandonStuck(t Tier, now time.Time) {
	j := t.Index()
	lease := e.c.tiers[j].Lease
	a := e.active[j]
	var stuck []*runState
	a.mu.Lock()
	for _, r := range a.jobs {
		if !r.released && now.After(time.UnixMilli(r.job.StartedAt).Add(e.timeout(r.job)+lease)) {
			r.released, r.abandoned = true, true
			stuck = append(stuck, r)
		}
	}
	a.mu.Unlock()
	for _, r := range stuck {
		timeout := e.timeout(r.job)
		e.c.log.Error("slaq: handler ignored its timeout; abandoning the run", "job", r.job.ID, "type", r.job.Type, "tier", t, "timeout", timeout)
		err := fmt.Errorf("the handler did not return within %s of its timeout and was abandoned", lease)
		e.acker.send(e.outcome(r.job, err, true, timeout))
		e.slots.done(r.home, j)
		e.jobs.Done()
		go e.runner()
	}
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
