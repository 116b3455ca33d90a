// Package engine is slaq's working half: one fetcher per tier, the slot table that decides
// which worker runs which tier's jobs (isolation, upward help, lending), the runners, the
// acker that batches outcomes, the heartbeat that renews leases, and the latency windows.
// Package slaq resolves a user's Config into this package's [Config] and drives an [Engine];
// nothing here reads a user's configuration directly.
package engine

import (
	"context"
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store"
)

// Handler runs one job; slaq.Handler satisfies it.
type Handler interface {
	ProcessJob(ctx context.Context, job *store.Job) error
}

// TierSettings are one tier's resolved settings.
type TierSettings struct {
	Workers    int           // the tier's own workers in this process (may be 0)
	Reserve    int           // idle workers never lent to less urgent tiers
	MaxWorkers int           // most of the tier's jobs running at once in this process; 0: no limit
	Cap        int           // tier-wide cap across processes (passed to Fetch); 0: none
	Lease      time.Duration // how long a claimed job is held without renewal
	Heartbeat  time.Duration // how often leases of running jobs are renewed
	Timeout    time.Duration // a run's timeout when the job has none
	SLA        time.Duration // the pickup target; 0: none
}

// Verdict is what a handler's error means for the job.
type Verdict struct {
	Permanent bool          // dead-letter now
	Snooze    bool          // run again after SnoozeFor, no attempt spent
	SnoozeFor time.Duration //
}

// Config is everything the engine needs, resolved: no field has a hidden default.
type Config struct {
	Store   store.Store
	Handler Handler
	Tiers   [numTiers]TierSettings
	Upward  bool // upward help
	Lending bool // elastic lending
	// LendWindow is how many recent run times per tier the lending rule looks at.
	LendWindow int
	FetchBatch int // most jobs one fetch claims
	AckBatch   int // most outcomes per Store.Ack call
	AckQueue   int // outcomes that may wait for the acker before senders block
	// IdleWait is the longest a fetcher blocks in Store.Wait before it looks again.
	IdleWait time.Duration
	// StoreRetryMin and StoreRetryMax bound the pause between tries after a store error.
	StoreRetryMin, StoreRetryMax time.Duration
	// ShutdownGrace is how long Stop lets running jobs finish; CancelWait how long it then
	// waits for handlers to return after their context was cancelled.
	ShutdownGrace, CancelWait time.Duration
	BackoffJitter             float64       // ± fraction of retry delays; <= 0: none
	MaxBackoff                time.Duration // the longest retry delay
	KeepCompleted             int           // sent with completions: completed jobs kept per tier; 0: no limit
	LatencyWindow             int           // recent pickups per tier in the percentiles
	Clock                     service.Clock
	Logger                    service.Logger
	Name                      string // this process, stored as the lease owner
	// Classify says what a handler's non-nil error means.
	Classify func(error) Verdict
	// Emit receives job events (started, completed, retried, snoozed, failed, released,
	// abandoned, SLA breach); nil: none. It must not block.
	Emit func(Event)
	// OnFailed is called after the store recorded a failed (dead) job; nil: nothing.
	OnFailed func()
	// OnRateLimited is called for each type a fetch of tier t held back by its rate limit
	// (one deferral); nil: nothing. It must not block.
	OnRateLimited func(t store.Tier, typ string)
}

// Signals are test signals; see service.Signal. They cost nothing unless initialised.
type Signals struct {
	// FetcherIdle: tier's fetcher found no runnable work and is about to wait in Store.Wait.
	FetcherIdle service.Signal[store.Tier]
	// SlotWait: tier's fetcher found no slot it may take and is about to wait for one.
	SlotWait service.Signal[store.Tier]
}
