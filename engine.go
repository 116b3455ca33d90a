package slaq

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/slaqhq/slaq/store"
)

// storeRetryMin and storeRetryMax bound the pause between tries when the store fails to
// answer a fetch: it doubles from the first to the second.
const (
	storeRetryMin = 50 * time.Millisecond
	storeRetryMax = 2 * time.Second
)

// engine is the working half of a Client: a fetcher per tier, the jobs they start, the acker
// and the maintenance loops (heartbeat, rescue, retention, dead-letter moves).
//
// Shutdown, in one place: Stop cancels fetchCtx (fetchers stop claiming work), waits up to
// the grace period for running jobs, then cancels jobCtx (handlers see their context end),
// waits a little longer, hands every job still running back to the store without spending
// an attempt, flushes the acker and stops the maintenance loops.
type engine struct {
	c       *Client
	handler Handler
	slots   *slots
	acker   *acker
	active  [NumTiers]*activeSet
	deadSig chan struct{}
	runq    chan runReq // claimed jobs for the runners: one long-lived goroutine per worker

	fetchCtx    context.Context
	stopFetch   context.CancelFunc
	jobCtx      context.Context
	cancelJobs  context.CancelFunc
	maintCtx    context.Context
	stopMaint   context.CancelFunc
	fetchers    sync.WaitGroup
	jobs        sync.WaitGroup
	maintenance sync.WaitGroup
}

// shutdownCancelWait is how long Stop waits for handlers to return after their context was
// cancelled, before it hands their jobs back regardless.
const shutdownCancelWait = 2 * time.Second

// Start begins working jobs with cfg.Handler: one fetcher and worker pool per tier, plus the
// maintenance loops. It first rescues jobs whose leases expired (a previous process died).
// Start returns once everything runs; call Stop to shut down.
func (c *Client) Start(ctx context.Context) error {
	if c.cfg.Handler == nil {
		return errors.New("slaq: Start needs Config.Handler")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.eng != nil {
		return errors.New("slaq: client already started")
	}
	e := &engine{c: c, handler: c.cfg.Handler, deadSig: make(chan struct{}, 1)}
	e.slots = newSlots(c.tiers, !c.cfg.NoUpwardHelp, c.cfg.Elastic)
	for i := range e.active {
		e.active[i] = newActiveSet()
	}
	e.fetchCtx, e.stopFetch = context.WithCancel(context.WithoutCancel(ctx))
	e.jobCtx, e.cancelJobs = context.WithCancel(context.WithoutCancel(ctx))
	e.maintCtx, e.stopMaint = context.WithCancel(context.WithoutCancel(ctx))
	e.acker = newAcker(c, e.deadSig)
	e.maintenance.Add(1)
	go func() { defer e.maintenance.Done(); e.acker.run(e.maintCtx) }()
	for _, t := range Tiers {
		if _, err := c.st.Rescue(ctx, t, ms(c.clock.Now())); err != nil {
			c.log.Warn("slaq: rescue at start failed", "tier", t, "err", err)
		}
	}
	e.startMaintenance()
	e.startRunners()
	for _, t := range Tiers {
		e.fetchers.Add(1)
		go func() { defer e.fetchers.Done(); e.fetch(t) }()
	}
	c.eng = e
	return nil
}

// Stop shuts down gracefully (see engine), waiting at most Config.ShutdownGrace, or until
// ctx is done if that comes first, for running jobs to finish. It returns once every loop has
// ended; jobs it handed back run again elsewhere or on the next start.
func (c *Client) Stop(ctx context.Context) error {
	c.mu.Lock()
	e := c.eng
	c.eng = nil
	c.mu.Unlock()
	if e == nil {
		return nil
	}
	e.stopFetch()
	e.fetchers.Wait()
	done := make(chan struct{})
	go func() { e.jobs.Wait(); close(done) }()
	grace := time.NewTimer(c.cfg.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
	case <-ctx.Done():
	}
	e.cancelJobs()
	select {
	case <-done:
	case <-time.After(shutdownCancelWait):
		e.releaseAbandoned()
	}
	e.acker.close()
	close(e.runq) // runners still in an abandoned handler exit when it returns
	e.stopMaint()
	e.maintenance.Wait()
	return nil
}

// fetch is tier t's fetcher: take free slots, claim that many jobs, start them; when the tier
// has no runnable work, let its idle workers help elsewhere and wait for a wake-up.
func (e *engine) fetch(t Tier) {
	c, j := e.c, t.Index()
	ts := c.tiers[j]
	retry := storeRetryMin
	for e.fetchCtx.Err() == nil {
		g, err := e.slots.take(e.fetchCtx, j, c.cfg.FetchBatch)
		if err != nil {
			return
		}
		n := g.total()
		now := c.clock.Now()
		res, err := c.st.Fetch(e.fetchCtx, store.FetchRequest{
			Tier: t, Limit: n, Now: ms(now), LeaseMs: ts.Lease.Milliseconds(), Cap: ts.Cap, Owner: c.name,
		})
		if err != nil {
			e.slots.giveBack(j, &g, n)
			if e.fetchCtx.Err() != nil {
				return
			}
			c.log.Warn("slaq: fetch failed", "tier", t, "err", err, "retry_in", retry)
			if !sleepCtx(e.fetchCtx, retry) {
				return
			}
			retry = min(2*retry, storeRetryMax)
			continue
		}
		retry = storeRetryMin
		e.start(t, &g, res.Jobs)
		e.slots.giveBack(j, &g, n-len(res.Jobs))
		if len(res.Jobs) == n && !res.Paused {
			continue // there may be more
		}
		e.slots.setNoWork(j, true)
		wait := c.cfg.IdleWait
		if res.NextRunAt > 0 {
			wait = min(wait, time.Duration(res.NextRunAt-ms(c.clock.Now()))*time.Millisecond)
		}
		if wait > 0 {
			if err := c.st.Wait(e.fetchCtx, t, wait); err != nil && e.fetchCtx.Err() == nil {
				c.log.Warn("slaq: wait failed", "tier", t, "err", err)
				sleepCtx(e.fetchCtx, retry)
			}
		}
		e.slots.setNoWork(j, false)
	}
}

// start launches the claimed jobs on the grant's slots: the tier's own workers first.
func (e *engine) start(t Tier, g *grant, jobs []*Job) {
	j := t.Index()
	for _, job := range jobs {
		h := j
		if g[j] == 0 {
			for h = NumTiers - 1; h >= 0 && g[h] == 0; h-- {
			}
		}
		g[h]--
		e.jobs.Add(1)
		e.active[j].add(job, h)
		e.runq <- runReq{job, h}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// activeSet tracks one tier's running jobs for heartbeats and shutdown.
type activeSet struct {
	mu   sync.Mutex
	jobs map[runKey]*runState
}

// runKey names one run: a job that was rescued (its lease lapsed) and claimed again by this
// process runs again under the same id, beside the old run, with another StartedAt.
type runKey struct {
	id      string
	started int64
}

type runState struct {
	job       *Job
	home      int  // home tier index of the worker slot it runs on
	released  bool // handed back by Stop, or abandoned: the handler's outcome is dropped
	abandoned bool // abandoned by abandonStuck: its slot was freed already
}

func newActiveSet() *activeSet { return &activeSet{jobs: make(map[runKey]*runState)} }

func (a *activeSet) add(j *Job, home int) {
	a.mu.Lock()
	a.jobs[runKey{j.ID, j.StartedAt}] = &runState{job: j, home: home}
	a.mu.Unlock()
}

// remove forgets the run of j and reports whether its outcome is to be dropped (released)
// and whether it had been abandoned.
func (a *activeSet) remove(j *Job) (released, abandoned bool) {
	k := runKey{j.ID, j.StartedAt}
	a.mu.Lock()
	if r := a.jobs[k]; r != nil {
		released, abandoned = r.released, r.abandoned
	}
	delete(a.jobs, k)
	a.mu.Unlock()
	return released, abandoned
}

func (a *activeSet) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.jobs)
}

func (a *activeSet) ids() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.jobs))
	for k, r := range a.jobs {
		if !r.released {
			out = append(out, k.id)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out) // a rescued job claimed again may run twice here
	return out
}

// releaseAbandoned hands back every job whose handler did not return after cancellation.
func (e *engine) releaseAbandoned() {
	now := ms(e.c.clock.Now())
	for i, a := range e.active {
		a.mu.Lock()
		for k, r := range a.jobs {
			if !r.released {
				r.released = true
				e.acker.send(store.Ack{Kind: store.AckRelease, ID: k.id, Tier: Tiers[i], Now: now, StartedAt: k.started})
			}
		}
		a.mu.Unlock()
	}
}
