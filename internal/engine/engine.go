package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store"
)

// Engine runs jobs: a fetcher per tier, long-lived runners, the acker, and per tier a
// heartbeat (lease renewal) and an overdue check (abandon handlers stuck past their timeout).
//
// Shutdown, in one place (Stop): cancel the fetchers (no more claims), wait up to
// ShutdownGrace (or until Stop's ctx ends) for running jobs, cancel the handlers' contexts,
// wait up to CancelWait, hand every job still running back to the store without spending an
// attempt, flush the acker, stop the heartbeats.
type Engine struct {
	cfg     Config
	Signals Signals

	slots   *slots
	acker   *acker
	active  [numTiers]*activeSet
	latency [numTiers]*latencyWindow
	runq    chan runReq // claimed jobs for the runners: one long-lived goroutine per worker
	runs    runCount

	fetchCtx   context.Context
	stopFetch  context.CancelFunc
	jobCtx     context.Context
	cancelJobs context.CancelFunc
	fetchers   sync.WaitGroup
	loops      []*service.Loop // heartbeats and overdue checks

	mu      sync.Mutex
	started bool
	stopped bool
}

// New returns an engine for cfg, which must be resolved (see Config).
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Handler == nil || cfg.Clock == nil || cfg.Logger == nil || cfg.Classify == nil {
		return nil, errors.New("engine: Config needs Store, Handler, Clock, Logger and Classify")
	}
	if cfg.FetchBatch < 1 || cfg.AckBatch < 1 || cfg.AckQueue < 1 || cfg.IdleWait <= 0 {
		return nil, fmt.Errorf("engine: invalid batch or wait settings: %+v", cfg)
	}
	e := &Engine{cfg: cfg}
	e.slots = newSlots(cfg.Tiers, cfg.Upward, cfg.Lending, cfg.LendWindow)
	for ti, t := range cfg.Tiers {
		e.active[ti] = newActiveSet()
		e.latency[ti] = newLatencyWindow(cfg.LatencyWindow, t.SLA)
	}
	e.acker = newAcker(e)
	return e, nil
}

// Start starts the fetchers, runners, acker and heartbeats, and returns at once. The engine
// runs until Stop; Start's ctx is not kept.
func (e *Engine) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return errors.New("engine: already started")
	}
	e.started = true
	e.fetchCtx, e.stopFetch = context.WithCancel(context.Background())
	e.jobCtx, e.cancelJobs = context.WithCancel(context.Background())
	e.acker.start()
	for ti, t := range e.cfg.Tiers {
		tier := store.Tiers[ti]
		hb, od := &service.Loop{}, &service.Loop{}
		_ = hb.Start(context.Background(), func(ctx context.Context) {
			service.Every(ctx, e.cfg.Clock, t.Heartbeat, func(ctx context.Context) { e.renewLeases(ctx, tier) })
		})
		_ = od.Start(context.Background(), func(ctx context.Context) {
			service.Every(ctx, e.cfg.Clock, t.Heartbeat, func(context.Context) { e.abandonOverdue(tier) })
		})
		e.loops = append(e.loops, hb, od)
	}
	e.startRunners()
	for _, t := range store.Tiers {
		e.fetchers.Add(1)
		go func() { defer e.fetchers.Done(); e.fetch(t) }()
	}
	return nil
}

// ErrUnfinished is wrapped by Stop's error when some handlers had not returned after their
// context was cancelled: their jobs were handed back to the store, to run again.
var ErrUnfinished = errors.New("handlers did not return after cancellation")

// Stop shuts down gracefully (see Engine). It returns nil when every running job ended by
// itself; ctx's error when ctx ended before the grace period did and jobs were still running;
// an error wrapping ErrUnfinished when handlers had to be abandoned. Either way, once Stop
// returns nothing of the engine runs but abandoned handlers, whose outcomes are dropped.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	if !e.started || e.stopped {
		e.mu.Unlock()
		return nil
	}
	e.stopped = true
	e.mu.Unlock()

	e.stopFetch()
	e.fetchers.Wait()
	var errs []error
	grace := e.cfg.Clock.NewTimer(e.cfg.ShutdownGrace)
	select {
	case <-e.runs.zero():
	case <-grace.C():
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("engine: stop: %w", ctx.Err()))
	}
	grace.Stop()
	e.cancelJobs()
	wait := e.cfg.Clock.NewTimer(e.cfg.CancelWait)
	select {
	case <-e.runs.zero():
	case <-wait.C():
		if n := e.handBackUnfinished(); n > 0 {
			errs = append(errs, fmt.Errorf("engine: stop: %d %w; their jobs were handed back", n, ErrUnfinished))
		}
	}
	wait.Stop()
	e.acker.close()
	close(e.runq) // runners still in an abandoned handler exit when it returns
	for _, l := range e.loops {
		l.Stop()
	}
	return errors.Join(errs...)
}

// Snapshot is the engine's state at one moment, per tier (index = Tier.Index()).
type Snapshot struct {
	Workers [numTiers]int     // own workers per tier
	Busy    [numTiers]int     // busy own workers (running any tier's job, or taken for a fetch)
	Lent    [numTiers]int     // of those, how many run a less or more urgent tier's job
	Running [numTiers]int     // jobs of the tier running in this process, on any worker
	Latency [numTiers]Latency // pickup latency
	// EventsDropped is not the engine's: package slaq fills it.
}

// Snapshot returns the engine's current state. It is safe before Start and after Stop.
func (e *Engine) Snapshot() Snapshot {
	var out Snapshot
	ss := e.slots.snapshot(e.homes)
	out.Busy, out.Lent = ss.busy, ss.lent
	for ti := range numTiers {
		out.Workers[ti] = e.cfg.Tiers[ti].Workers
		out.Running[ti] = e.active[ti].len()
		out.Latency[ti] = e.latency[ti].summary()
	}
	return out
}

// homes counts running jobs by [home tier][job tier].
func (e *Engine) homes() (out [numTiers][numTiers]int) {
	for ti, a := range e.active {
		a.mu.Lock()
		for _, r := range a.runs {
			if !r.abandoned {
				out[r.home][ti]++
			}
		}
		a.mu.Unlock()
	}
	return out
}

// runCount counts runs in flight and tells when there are none, without a goroutine.
type runCount struct {
	mu      sync.Mutex
	n       int
	waiters []chan struct{}
}

func (r *runCount) add() {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
}

func (r *runCount) done() {
	r.mu.Lock()
	r.n--
	if r.n == 0 {
		for _, w := range r.waiters {
			close(w)
		}
		r.waiters = nil
	}
	r.mu.Unlock()
}

// zero returns a channel closed once no run is in flight (at once if none is).
func (r *runCount) zero() <-chan struct{} {
	ch := make(chan struct{})
	r.mu.Lock()
	if r.n == 0 {
		close(ch)
	} else {
		r.waiters = append(r.waiters, ch)
	}
	r.mu.Unlock()
	return ch
}

func (e *Engine) emit(ev Event) {
	if e.cfg.Emit != nil {
		e.cfg.Emit(ev)
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// Grantable returns how many slots tier t's fetcher could take right now (up to FetchBatch).
// Tests use it to show that, with every other fetcher idle, a tier can start nothing more.
func (e *Engine) Grantable(t store.Tier) int {
	e.slots.mu.Lock()
	defer e.slots.mu.Unlock()
	return e.slots.plan(t.Index(), e.cfg.FetchBatch).total()
}
