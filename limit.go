package slaq

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/slaqhq/slaq/store"
)

// RateLimit caps how often jobs of one type start: at most Rate starts in any window of Per,
// plus Burst, across every process sharing the store. The store decides it inside its fetch
// (a GCRA on the store's clock: one start every Per/Rate, up to Burst ahead of that schedule
// after an idle time), so a job held back holds no worker, spends no attempt, keeps its place
// among its type's jobs, and never holds up the other types of its tier; its pickup latency
// still counts from when it became runnable. Scope: one limit per (tier, type); a type whose
// jobs go to two tiers has one limit in each. The guide's examples:
//
//	RateLimits: map[string]slaq.RateLimit{
//		"webhook_cryptomus":   {Rate: 100, Per: time.Minute},
//		"webhook_nowpayments": {Rate: 100, Per: time.Minute},
//		"send_email":          {Rate: 50, Per: time.Minute},
//		"send_bulk_emails":    {Rate: 500, Per: time.Minute},
//	}
type RateLimit struct {
	Rate  int           // starts per Per; required (0 in Client.SetRateLimit removes the limit)
	Per   time.Duration // the window; default DefaultRateLimitPer
	Burst int           // starts allowed beyond Rate in one window after an idle time; default 0
	// Tier is the tier whose jobs of the type are limited. Default: the type's tier
	// (Config.Types), else MEDIUM.
	Tier Tier
}

// DefaultRateLimitPer is a RateLimit's window when Per is 0.
const DefaultRateLimitPer = time.Minute

// RateLimitInfo is a limit as the store holds it, with where its schedule stands.
type RateLimitInfo struct {
	Type string
	RateLimit
	// NextFree is the earliest time the type's next job may start (now when one may at once).
	NextFree time.Time
}

// counters count by name, safe for concurrent use.
type counters struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (c *counters) add(name string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]uint64{}
	}
	c.n[name]++
	c.mu.Unlock()
}

func (c *counters) snapshot() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]uint64, len(c.n))
	maps.Copy(out, c.n)
	return out
}

// storeLimit resolves l for job type typ.
func (c *Client) storeLimit(typ string, l RateLimit) (store.RateLimit, error) {
	if l.Tier == 0 {
		l.Tier = Medium
		if tc, ok := c.cfg.types[typ]; ok && tc.Tier != 0 {
			l.Tier = tc.Tier
		}
	}
	if l.Per == 0 {
		l.Per = DefaultRateLimitPer
	}
	sl := store.RateLimit{Tier: l.Tier, Type: typ, Rate: l.Rate, PeriodMs: l.Per.Milliseconds(), Burst: l.Burst}
	if l.Per < 0 || (l.Per > 0 && sl.PeriodMs == 0) {
		return sl, fmt.Errorf("rate limit of %q: Per %v, want at least 1 ms", typ, l.Per)
	}
	if err := sl.Validate(); err != nil {
		return sl, err
	}
	return sl, nil
}

// SetRateLimit sets, changes or (with Rate 0) removes the limit of job type typ, for every
// process sharing the store, from their next fetch. The type's schedule is kept across a
// change; jobs held under the old limit are decided again under the new one at once.
func (c *Client) SetRateLimit(ctx context.Context, typ string, l RateLimit) error {
	if err := checkCtx(ctx, "set rate limit"); err != nil {
		return err
	}
	sl, err := c.storeLimit(typ, l)
	if err != nil {
		return fmt.Errorf("slaq: %w", err)
	}
	if err := c.st.SetRateLimit(ctx, sl); err != nil {
		return fmt.Errorf("slaq: set rate limit of %q: %w", typ, err)
	}
	return nil
}

// RateLimits lists every limit in the store, tier by tier, each with its rate and its next
// free slot.
func (c *Client) RateLimits(ctx context.Context) ([]RateLimitInfo, error) {
	now := c.cfg.clock.Now()
	var out []RateLimitInfo
	for _, t := range store.Tiers {
		ls, err := c.st.RateLimits(ctx, t, ms(now))
		if err != nil {
			return nil, fmt.Errorf("slaq: rate limits: %w", err)
		}
		for _, l := range ls {
			out = append(out, RateLimitInfo{Type: l.Type,
				RateLimit: RateLimit{Rate: l.Rate, Per: time.Duration(l.PeriodMs) * time.Millisecond, Burst: l.Burst, Tier: l.Tier},
				NextFree:  time.UnixMilli(l.NextFreeAt)})
		}
	}
	return out, nil
}

// RateLimited returns how many fetches of this process each job type's rate limit held
// back, by type, since the client was created (see EventRateLimited).
func (c *Client) RateLimited() map[string]uint64 { return c.deferrals.snapshot() }

// applyRateLimits stores Config.RateLimits, at Start.
func (c *Client) applyRateLimits(ctx context.Context) error {
	var errs []error
	for typ, l := range c.cfg.RateLimits {
		if err := c.SetRateLimit(ctx, typ, l); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
