package maint

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store"
)

// DeadLetterPurger is the part of a dead-letter queue the purger uses (*dlq.DB has it).
type DeadLetterPurger interface {
	// Purge removes every entry that failed before olderThan (Unix ms), in bounded chunks,
	// and returns how many it removed.
	Purge(ctx context.Context, olderThan int64) (int, error)
}

// PurgerConfig configures a Purger.
type PurgerConfig struct {
	Store       store.Store // claims each round (Store.Once), so one replica purges per round
	DeadLetters DeadLetterPurger
	Clock       service.Clock
	Logger      service.Logger
	Every       time.Duration // how often a round runs (and how long its claim holds)
	Retain      time.Duration // dead letters older than this are purged
}

// purgeKeyPrefix scopes the purger's claims among Store.Once keys.
const purgeKeyPrefix = "purge:dead-letters:"

// Purger deletes dead-letter rows older than the retention. Every replica runs one; a round
// is claimed in the store (the key names the round's slot of time, Every long), so however
// many replicas run, each round purges once. Purge itself deletes in bounded chunks.
type Purger struct {
	base
	cfg PurgerConfig
	// Purged is signalled after each round with how many rows it removed (-1: another
	// replica had the round, or the round failed).
	Purged service.Signal[int]
	purged atomic.Int64
}

// NewPurger returns a purger for cfg.
func NewPurger(cfg PurgerConfig) *Purger {
	return &Purger{base: base{store: cfg.Store, clock: cfg.Clock, logger: cfg.Logger}, cfg: cfg}
}

// Start starts the purging loop: a round at once, then one at the start of each next slot of
// time cfg.Every long (slots count from the Unix epoch, so replicas agree on them).
func (p *Purger) Start(ctx context.Context) error {
	return p.loop.Start(ctx, func(ctx context.Context) {
		for {
			slot := p.Round(ctx)
			if !service.SleepUntil(ctx, p.clock, time.UnixMilli((slot+1)*p.every())) {
				return
			}
		}
	})
}

func (p *Purger) every() int64 { return max(p.cfg.Every.Milliseconds(), 1) }

// PurgedTotal returns how many dead-letter rows this purger removed since it was made.
func (p *Purger) PurgedTotal() int64 { return p.purged.Load() }

// Round claims the current slot's round and, if it won, purges what is past retention. It
// returns the slot (now / Every).
func (p *Purger) Round(ctx context.Context) (slot int64) {
	now := ms(p.clock.Now())
	every := p.every()
	slot = now / every
	key := purgeKeyPrefix + strconv.FormatInt(slot, 10)
	won, err := p.store.Once(ctx, key, now, every)
	if err != nil || !won {
		if err != nil && ctx.Err() == nil {
			p.logger.Warn("slaq: dead-letter purge: cannot claim the round", "err", err)
		}
		p.Purged.Signal(-1)
		return slot
	}
	cutoff := now - p.cfg.Retain.Milliseconds()
	n, err := p.cfg.DeadLetters.Purge(ctx, cutoff)
	p.purged.Add(int64(n))
	if err != nil {
		if ctx.Err() == nil {
			p.logger.Warn("slaq: dead-letter purge failed", "purged", n, "err", err)
		}
		p.Purged.Signal(-1)
		return slot
	}
	if n > 0 {
		p.logger.Info("slaq: purged dead letters past retention", "purged", n, "failed_before", time.UnixMilli(cutoff).UTC())
	}
	p.Purged.Signal(n)
	return slot
}
