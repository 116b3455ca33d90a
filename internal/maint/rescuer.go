package maint

import (
	"context"
	"sync"
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store"
)

// RescuerConfig configures a Rescuer.
type RescuerConfig struct {
	Store  store.Store
	Clock  service.Clock
	Logger service.Logger
	// Every is how often each tier's lapsed leases are looked for (index Tier.Index()). A
	// zero entry leaves that tier to rescue at start only.
	Every [numTiers]time.Duration
}

// Rescuer returns active jobs whose leases lapsed (their worker process died) to their tier,
// without spending an attempt: once for every tier at Start, then for each tier on its own
// cadence.
type Rescuer struct {
	base
	every [numTiers]time.Duration
	// Rescued is signalled after each rescue pass of a tier, with how many jobs it moved.
	Rescued service.Signal[Rescue]
}

// Rescue is one rescue pass's result.
type Rescue struct {
	Tier  store.Tier
	Moved int
}

// NewRescuer returns a rescuer for cfg.
func NewRescuer(cfg RescuerConfig) *Rescuer {
	return &Rescuer{base: base{store: cfg.Store, clock: cfg.Clock, logger: cfg.Logger}, every: cfg.Every}
}

// Start rescues every tier once (bounded by ctx), then starts the per-tier loops.
func (r *Rescuer) Start(ctx context.Context) error {
	for _, t := range store.Tiers {
		r.rescue(ctx, t)
	}
	return r.loop.Start(context.WithoutCancel(ctx), func(ctx context.Context) {
		var wg sync.WaitGroup
		for ti, d := range r.every {
			if d <= 0 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				service.Every(ctx, r.clock, d, func(ctx context.Context) { r.rescue(ctx, store.Tiers[ti]) })
			}()
		}
		wg.Wait()
	})
}

func (r *Rescuer) rescue(ctx context.Context, t store.Tier) {
	n, err := r.store.Rescue(ctx, t, ms(r.clock.Now()))
	if err != nil {
		if ctx.Err() == nil {
			r.logger.Warn("slaq: rescue failed", "tier", t, "err", err)
		}
		return
	}
	if n > 0 {
		r.logger.Info("slaq: rescued jobs whose leases lapsed", "tier", t, "jobs", n)
	}
	r.Rescued.Signal(Rescue{Tier: t, Moved: n})
}
