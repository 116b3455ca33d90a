package engine

import (
	"context"

	"github.com/slaqhq/slaq/store"
)

// renewLeases extends the leases of tier t's runs in this process to one lease from now.
func (e *Engine) renewLeases(ctx context.Context, t store.Tier) {
	ids := e.active[t.Index()].leased()
	if len(ids) == 0 {
		return
	}
	until := ms(e.cfg.Clock.Now().Add(e.cfg.Tiers[t.Index()].Lease))
	if err := e.cfg.Store.ExtendLeases(ctx, t, ids, until); err != nil && ctx.Err() == nil {
		e.cfg.Logger.Warn("slaq: lease renewal failed", "tier", t, "jobs", len(ids), "err", err)
	}
}
