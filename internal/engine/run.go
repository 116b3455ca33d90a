package engine

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
	job  *store.Job
	home int
}

// startRunners starts one goroutine per worker slot. Jobs run on these long-lived goroutines
// rather than one new goroutine each, so a handler's stack is grown once, not per job. The
// slots never hand out more jobs than there are runners, so a send on runq never waits long.
func (e *Engine) startRunners() {
	n := 0
	for _, ts := range e.cfg.Tiers {
		n += ts.Workers
	}
	e.runq = make(chan runReq, max(n, 1))
	for range n {
		go e.runner()
	}
}

// runner runs claimed jobs until Stop closes runq. A runner whose run was abandoned (see
// abandonOverdue) exits once that handler returns, since a replacement took its place.
func (e *Engine) runner() {
	for r := range e.runq {
		if abandoned := e.run(r.job, r.home); abandoned {
			return
		}
	}
}

// run executes one claimed job on a worker of home tier h and hands its outcome to the acker.
// It reports whether the run had been abandoned meanwhile (its slot is then free already).
func (e *Engine) run(job *store.Job, h int) (abandoned bool) {
	cfg := &e.cfg
	ti := job.Tier.Index()
	start := cfg.Clock.Now()
	pickup := start.Sub(time.UnixMilli(job.RunAt))
	breach := e.latency[ti].record(pickup)
	e.active[ti].began(job, start)
	e.emit(Event{Kind: EventStarted, At: start, Job: job, Pickup: pickup})
	if breach {
		e.emit(Event{Kind: EventSLABreach, At: start, Job: job, Pickup: pickup})
	}

	timeout := e.timeout(job)
	ctx, cancel := context.WithTimeout(e.jobCtx, timeout)
	err := safeProcess(ctx, cfg.Handler, job)
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()

	released, abandoned := e.active[ti].remove(job)
	if abandoned {
		return true // its attempt was failed and its slot freed by abandonOverdue
	}
	end := cfg.Clock.Now()
	runTime := end.Sub(start)
	if released { // Stop handed it back: the outcome is dropped
		e.slots.done(h, ti, -1)
		e.runs.done()
		return false
	}
	o := e.outcome(job, err, timedOut, timeout, end)
	e.slots.done(h, ti, runTime)
	e.runs.done()
	e.acker.send(ackItem{ack: o.ack, job: job, kind: o.event, runTime: runTime})
	return false
}

// timeout is how long one run of job may take.
func (e *Engine) timeout(job *store.Job) time.Duration {
	if job.TimeoutMs > 0 {
		return time.Duration(job.TimeoutMs) * time.Millisecond
	}
	return e.cfg.Tiers[job.Tier.Index()].Timeout
}

// abandonOverdue gives up on runs of tier t whose handler has not returned one lease after
// its timeout, although its context was cancelled at the timeout: the attempt fails (and is
// retried or dead-lettered as usual), the worker slot is freed and a new runner takes the
// stuck one's place. The stuck handler's eventual outcome is dropped; it keeps its goroutine
// until it returns. Without this, a handler that ignores its context would hold its worker
// and, through heartbeats, its job's lease for as long as the process lives.
func (e *Engine) abandonOverdue(t store.Tier) {
	ti := t.Index()
	lease := e.cfg.Tiers[ti].Lease
	now := e.cfg.Clock.Now()
	a := e.active[ti]
	var stuck []*runState
	a.mu.Lock()
	for _, r := range a.runs {
		if !r.released && !r.began.IsZero() && now.After(r.began.Add(e.timeout(r.job)+lease)) {
			r.released, r.abandoned = true, true
			stuck = append(stuck, r)
		}
	}
	a.mu.Unlock()
	for _, r := range stuck {
		timeout := e.timeout(r.job)
		e.cfg.Logger.Error("slaq: handler ignored its timeout; abandoning the run", "job", r.job.ID, "type", r.job.Type, "tier", t, "timeout", timeout)
		err := fmt.Errorf("the handler did not return within %s of its timeout and was abandoned", lease)
		o := e.outcome(r.job, err, true, timeout, now)
		runTime := now.Sub(r.began)
		e.emit(Event{Kind: EventAbandoned, At: now, Job: r.job, RunTime: runTime, Error: o.ack.Error})
		e.acker.send(ackItem{ack: o.ack, job: r.job, kind: o.event, runTime: runTime})
		e.slots.done(r.home, ti, runTime)
		e.runs.done()
		go e.runner()
	}
}

// handBackUnfinished hands every job whose handler has not returned back to the store
// (shutdown), without spending an attempt, and returns how many it handed back.
func (e *Engine) handBackUnfinished() int {
	now := e.cfg.Clock.Now()
	n := 0
	for _, a := range e.active {
		a.mu.Lock()
		for k, r := range a.runs {
			if !r.released {
				r.released = true
				n++
				e.acker.send(ackItem{
					ack: store.Ack{Kind: store.AckRelease, ID: k.id, Now: ms(now), StartedAt: k.started},
					job: r.job, kind: EventReleased, runTime: now.Sub(r.began),
				})
			}
		}
		a.mu.Unlock()
	}
	return n
}

// outcomeOf is a run's ack and the event that reports it.
type outcomeOf struct {
	ack   store.Ack
	event EventKind
}

// outcome turns a run's result into the ack that records it.
func (e *Engine) outcome(job *store.Job, err error, timedOut bool, timeout time.Duration, now time.Time) outcomeOf {
	ack := store.Ack{ID: job.ID, Now: ms(now), StartedAt: job.StartedAt}
	if err == nil {
		ack.Kind, ack.Result, ack.KeepCompleted = store.AckComplete, job.Result, e.cfg.KeepCompleted
		return outcomeOf{ack, EventCompleted}
	}
	if e.jobCtx.Err() != nil && !timedOut {
		ack.Kind = store.AckRelease // shutdown interrupted it: no attempt spent
		return outcomeOf{ack, EventReleased}
	}
	v := e.cfg.Classify(err)
	if v.Snooze {
		ack.Kind, ack.RunAt = store.AckSnooze, ms(now.Add(max(v.SnoozeFor, 0)))
		return outcomeOf{ack, EventSnoozed}
	}
	msg := err.Error()
	if timedOut && !v.Permanent {
		msg = fmt.Sprintf("timed out after %s: %s", timeout, msg)
	}
	ack.Error = msg
	if v.Permanent || job.Attempts+1 >= job.MaxAttempts {
		ack.Kind = store.AckFail
		return outcomeOf{ack, EventFailed}
	}
	ack.Kind = store.AckRetry
	ack.RunAt = ms(now.Add(backoffDelay(job.BackoffMs, job.Attempts+1, e.cfg.BackoffJitter, e.cfg.MaxBackoff)))
	return outcomeOf{ack, EventRetried}
}

// backoffDelay is the wait before retry n (n >= 1): base·2^(n-1), at most maxDelay, spread by
// ±jitter (a fraction; <= 0 means none) and then clamped to [0, maxDelay] again.
func backoffDelay(baseMs int64, n int, jitter float64, maxDelay time.Duration) time.Duration {
	limit := float64(maxDelay) / float64(time.Millisecond)
	d := math.Min(float64(baseMs)*math.Pow(2, float64(max(n, 1)-1)), limit) // Pow overflows to +Inf, never negative
	if jitter > 0 {
		d *= 1 + jitter*(2*rand.Float64()-1)
	}
	d = math.Max(0, math.Min(d, limit))
	return time.Duration(d * float64(time.Millisecond))
}

// PanicError is the failure of a handler that panicked; it carries the stack.
type PanicError struct {
	Value any
	Stack []byte
}

// Error gives the panic's value and stack.
func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v\n%s", p.Value, p.Stack) }

// safeProcess runs the handler, turning a panic into an error with its stack.
func safeProcess(ctx context.Context, h Handler, job *store.Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return h.ProcessJob(ctx, job)
}
