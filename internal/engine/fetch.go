package engine

import (
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store"
)

// fetch is tier t's fetcher: take free slots, claim that many jobs, start them; when the tier
// has no runnable work, let its idle workers help elsewhere and wait for a wake-up.
func (e *Engine) fetch(t store.Tier) {
	cfg, ti := &e.cfg, t.Index()
	ts := cfg.Tiers[ti]
	onSlotWait := func() { e.Signals.SlotWait.Signal(t) }
	retry := cfg.StoreRetryMin
	for e.fetchCtx.Err() == nil {
		g, err := e.slots.take(e.fetchCtx, ti, cfg.FetchBatch, onSlotWait)
		if err != nil {
			return
		}
		n := g.total()
		res, err := cfg.Store.Fetch(e.fetchCtx, store.FetchRequest{
			Tier: t, Limit: n, Now: ms(cfg.Clock.Now()), LeaseMs: ts.Lease.Milliseconds(), Cap: ts.Cap, Owner: cfg.Name,
		})
		if err != nil {
			e.slots.giveBack(ti, &g, n)
			if e.fetchCtx.Err() != nil {
				return
			}
			cfg.Logger.Warn("slaq: fetch failed", "tier", t, "err", err, "retry_in", retry)
			if !service.Sleep(e.fetchCtx, cfg.Clock, retry) {
				return
			}
			retry = min(2*retry, cfg.StoreRetryMax)
			continue
		}
		retry = cfg.StoreRetryMin
		if len(res.Deferred) > 0 {
			e.deferred(t, res.Deferred)
		}
		e.start(t, &g, res.Jobs)
		e.slots.giveBack(ti, &g, n-len(res.Jobs))
		if len(res.Jobs) == n && !res.Paused {
			continue // there may be more
		}
		e.slots.setNoWork(ti, true)
		wait := idleWait(res, cfg.Clock.Now(), cfg.IdleWait)
		if wait > 0 {
			e.Signals.FetcherIdle.Signal(t)
			if err := cfg.Store.Wait(e.fetchCtx, t, wait); err != nil && e.fetchCtx.Err() == nil {
				cfg.Logger.Warn("slaq: wait failed", "tier", t, "err", err)
				service.Sleep(e.fetchCtx, cfg.Clock, retry)
				retry = min(2*retry, cfg.StoreRetryMax)
			}
		}
		e.slots.setNoWork(ti, false)
	}
}

// idleWait is how long a fetcher that found no runnable work waits at now: at most max,
// and no later than the next delayed job's RunAt or the earliest rate-limited lane's
// HeldUntil. It wakes at the start of that millisecond, not up to one into it, so that the
// next fetch's Now equals it: a limited type with no burst to spare then loses no time from
// its schedule (its GCRA counts a late start from when it happened, so 0.5 ms late on a
// 10 ms interval is a 5 % shortfall).
func idleWait(res store.FetchResult, now time.Time, max time.Duration) time.Duration {
	wait := max
	if res.NextRunAt > 0 {
		wait = min(wait, time.UnixMilli(res.NextRunAt).Sub(now))
	}
	if res.HeldUntil > 0 { // a rate-limited type frees then: wake for it, not before
		wait = min(wait, time.UnixMilli(res.HeldUntil).Sub(now))
	}
	return wait
}

// deferred reports the types a fetch of t held back by their rate limits: a count per type
// and an EventRateLimited each, whose Job names only Type and Tier.
func (e *Engine) deferred(t store.Tier, types []string) {
	cfg := &e.cfg
	for _, typ := range types {
		if cfg.OnRateLimited != nil {
			cfg.OnRateLimited(t, typ)
		}
		if cfg.Emit != nil {
			cfg.Emit(Event{Kind: EventRateLimited, At: cfg.Clock.Now(), Job: &store.Job{Type: typ, Tier: t}})
		}
	}
}

// start launches the claimed jobs on the grant's slots: the tier's own workers first, then
// helpers from the least urgent tier, then lenders.
func (e *Engine) start(t store.Tier, g *grant, jobs []*store.Job) {
	ti := t.Index()
	for _, job := range jobs {
		h := ti
		if g[ti] == 0 {
			for h = numTiers - 1; h >= 0 && g[h] == 0; h-- {
			}
		}
		g[h]--
		e.runs.add()
		e.active[ti].add(job, h)
		e.runq <- runReq{job, h}
	}
}
