package maint

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store"
)

// CleanerConfig configures a Cleaner.
type CleanerConfig struct {
	Store  store.Store
	Clock  service.Clock
	Logger service.Logger
	Every  time.Duration // how often retention is enforced
	Batch  int           // most deletions per Store.Clean call, per kind
	// MaxBatches bounds the Clean calls per tier per round, so one round stays short; what
	// is left waits for the next round.
	MaxBatches    int
	KeepCompleted int           // completed jobs kept per tier; 0: no count limit
	KeepFailed    int           // failed jobs kept per tier (no dead-letter queue); 0: no limit
	FailedRetain  time.Duration // how long failed jobs are kept (no dead-letter queue); 0: forever
}

// Cleaner enforces retention: completed jobs by age and count, and, when no dead-letter
// queue takes failed jobs, failed jobs by age and count. It works in bounded batches.
type Cleaner struct {
	base
	cfg CleanerConfig
	// Cleaned is signalled after each round with what it deleted.
	Cleaned service.Signal[store.CleanResult]
	// completed and failed count deletions since start.
	completed, failed atomic.Int64
}

// NewCleaner returns a cleaner for cfg.
func NewCleaner(cfg CleanerConfig) *Cleaner {
	return &Cleaner{base: base{store: cfg.Store, clock: cfg.Clock, logger: cfg.Logger}, cfg: cfg}
}

// Start starts the cleaning loop.
func (c *Cleaner) Start(ctx context.Context) error {
	return c.loop.Start(ctx, func(ctx context.Context) { service.Every(ctx, c.clock, c.cfg.Every, c.Round) })
}

// Deleted returns how many completed and failed jobs the cleaner deleted since it was made.
func (c *Cleaner) Deleted() store.CleanResult {
	return store.CleanResult{Completed: int(c.completed.Load()), Failed: int(c.failed.Load())}
}

// Round runs one cleaning round over every tier; Cleaned reports what it deleted.
func (c *Cleaner) Round(ctx context.Context) {
	var total store.CleanResult
	for _, t := range store.Tiers {
		for range max(c.cfg.MaxBatches, 1) {
			res, err := c.store.Clean(ctx, store.CleanRequest{
				Tier: t, Now: ms(c.clock.Now()), KeepCompleted: c.cfg.KeepCompleted,
				KeepFailed: c.cfg.KeepFailed, FailedRetainMs: c.cfg.FailedRetain.Milliseconds(), Limit: c.cfg.Batch,
			})
			if err != nil {
				if ctx.Err() == nil {
					c.logger.Warn("slaq: retention clean-up failed", "tier", t, "err", err)
				}
				break
			}
			total.Completed += res.Completed
			total.Failed += res.Failed
			if res.Completed < c.cfg.Batch && res.Failed < c.cfg.Batch {
				break
			}
		}
	}
	c.completed.Add(int64(total.Completed))
	c.failed.Add(int64(total.Failed))
	c.Cleaned.Signal(total)
}
