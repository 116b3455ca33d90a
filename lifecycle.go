package slaq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slaqhq/slaq/internal/engine"
	"github.com/slaqhq/slaq/internal/maint"
	"github.com/slaqhq/slaq/store"
)

// Start begins working jobs with Config.Handler (with no Handler, it only fires
// Config.Schedules and forwards Config.Outbox and Config.Spool into the store, and fails when
// there is none of them): one fetcher and worker pool per tier, the heartbeats, and the
// maintenance services (the rescuer, which first returns jobs whose leases lapsed while no
// process ran them; the retention cleaner; the dead-letter mover when Config.DeadLetters is
// set; the forwarders of Config.Outbox and Config.Spool; the schedules' firer). It returns
// once everything runs. ctx bounds only Start's own
// work (the start-up rescue): the client keeps working after ctx ends, until Stop. A client
// can be started again after Stop.
func (c *Client) Start(ctx context.Context) error {
	if err := checkCtx(ctx, "start"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.maint != nil {
		return errors.New("slaq: client already started")
	}
	if c.cfg.Handler == nil {
		return c.startForwarding(ctx)
	}
	r := c.cfg
	if err := c.applyRateLimits(ctx); err != nil {
		return fmt.Errorf("slaq: start: %w", err)
	}
	var mover *maint.Mover
	if r.DeadLetters != nil {
		mover = maint.NewMover(maint.MoverConfig{
			Store: c.st, DeadLetters: r.DeadLetters, Clock: r.clock, Logger: r.log,
			Batch: r.DeadLetterBatch, Every: r.DeadLetterInterval, Retry: r.DeadLetterRetry,
			OnMoved: func(j *store.Job) {
				c.events.emit(Event{Kind: EventDeadLettered, At: r.clock.Now(), Job: j, Error: j.LastError})
			},
		})
	}
	e, err := engine.New(c.engineConfig(mover))
	if err != nil {
		return fmt.Errorf("slaq: start: %w", err)
	}
	if c.testSignals {
		e.Signals.FetcherIdle.Init()
		e.Signals.SlotWait.Init()
	}
	var rescueEvery [NumTiers]time.Duration
	for i, ts := range r.tiers {
		rescueEvery[i] = ts.RescueEvery
	}
	services := []maint.Service{
		maint.NewRescuer(maint.RescuerConfig{Store: c.st, Clock: r.clock, Logger: r.log, Every: rescueEvery}),
		maint.NewCleaner(c.cleanerConfig()),
	}
	if mover != nil {
		services = append(services, mover)
	}
	services = append(services, c.forwarders()...)
	services = append(services, c.startableCron()...)
	for i, s := range services {
		if err := s.Start(ctx); err != nil {
			for _, started := range services[:i] {
				started.Stop()
			}
			return fmt.Errorf("slaq: start: %w", err)
		}
	}
	if err := e.Start(); err != nil {
		for _, s := range services {
			s.Stop()
		}
		return fmt.Errorf("slaq: start: %w", err)
	}
	c.maint = services
	c.eng.Store(e)
	c.mover.Store(mover)
	return nil
}

// startableCron returns the schedules' firer as a service list (empty without schedules),
// and makes it the client's latest one.
func (c *Client) startableCron() []maint.Service {
	cr := c.cronService()
	if cr == nil {
		return nil
	}
	if c.testSignals {
		cr.Ticked.Init()
	}
	c.cron.Store(cr)
	return []maint.Service{cr}
}

// Stop shuts down gracefully: it stops fetching, lets running jobs finish within
// Config.ShutdownGrace (or until ctx ends, if sooner), then cancels their contexts, waits up to
// Config.CancelWait, hands every job still running back to the store without spending an
// attempt, records every outcome, stops the maintenance services and delivers the queued
// events. It returns nil when every job ended by itself; ctx's error when ctx cut the grace
// period short; an error wrapping engine's "handlers did not return" when some handlers
// ignored cancellation (their jobs were handed back and run again). Stop on a client that is
// not running returns nil.
func (c *Client) Stop(ctx context.Context) error {
	if err := checkCtx(ctx, "stop"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, services := c.eng.Load(), c.maint
	c.maint = nil
	if services == nil {
		return nil
	}
	var err error
	if e != nil { // nil when only forwarders run
		err = e.Stop(ctx)
	}
	for _, s := range services {
		s.Stop()
	}
	if ferr := c.events.flush(ctx); ferr != nil && err == nil {
		err = fmt.Errorf("slaq: stop: delivering events: %w", ferr)
	}
	return err
}

func (c *Client) engineConfig(mover *maint.Mover) engine.Config {
	r := c.cfg
	cfg := engine.Config{
		Store: c.st, Handler: r.Handler, Upward: !r.NoUpwardHelp, Lending: !r.NoLending, LendWindow: r.LendWindow,
		FetchBatch: r.FetchBatch, AckBatch: r.AckBatch, AckQueue: r.AckQueue, IdleWait: r.IdleWait,
		StoreRetryMin: r.StoreRetryMin, StoreRetryMax: r.StoreRetryMax,
		ShutdownGrace: r.ShutdownGrace, CancelWait: r.CancelWait,
		BackoffJitter: r.jitter, MaxBackoff: r.MaxBackoff, KeepCompleted: r.keepCompleted,
		LatencyWindow: r.LatencyWindow, Clock: r.clock, Logger: r.log, Name: r.Name,
		Classify: classify,
	}
	for i, ts := range r.tiers {
		cfg.Tiers[i] = engine.TierSettings{Workers: ts.Workers, Reserve: ts.Reserve, MaxWorkers: ts.MaxWorkers,
			Cap: ts.Cap, Lease: ts.Lease, Heartbeat: ts.Heartbeat, Timeout: ts.Timeout, SLA: ts.SLA}
	}
	if len(r.Observers) > 0 {
		cfg.Emit = c.events.fromEngine
	}
	if mover != nil {
		cfg.OnFailed = mover.Wake
	}
	cfg.OnRateLimited = func(_ store.Tier, typ string) { c.deferrals.add(typ) }
	return cfg
}

func (c *Client) cleanerConfig() maint.CleanerConfig {
	r := c.cfg
	cc := maint.CleanerConfig{Store: c.st, Clock: r.clock, Logger: r.log, Every: r.CleanInterval,
		Batch: r.CleanBatch, MaxBatches: r.CleanMaxBatches, KeepCompleted: r.keepCompleted}
	if r.DeadLetters == nil { // failed jobs stay in the store: bound them
		cc.KeepFailed, cc.FailedRetain = r.keepFailed, r.failedRetain
	}
	return cc
}

// classify says what a handler's error means: permanent, snooze, or an ordinary failure.
func classify(err error) engine.Verdict {
	var snooze *SnoozeError
	if errors.As(err, &snooze) {
		return engine.Verdict{Snooze: true, SnoozeFor: snooze.After}
	}
	return engine.Verdict{Permanent: errors.Is(err, ErrPermanent)}
}
