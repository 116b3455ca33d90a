package slaq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slaqhq/slaq/internal/maint"
)

// StartWithSignals starts c with the engine's test signals initialised.
func StartWithSignals(ctx context.Context, c *Client) error {
	c.testSignals = true
	return c.Start(ctx)
}

// WaitFetchersIdle waits until the fetcher of every tier in tiers has, at least once since
// Start, found no work and gone to wait for some.
func WaitFetchersIdle(c *Client, tiers []Tier, d time.Duration) error {
	e := c.eng.Load()
	want := make(map[Tier]bool)
	for _, t := range tiers {
		want[t] = true
	}
	deadline := time.Now().Add(d)
	for len(want) > 0 {
		t, err := e.Signals.FetcherIdle.Wait(time.Until(deadline))
		if err != nil {
			return fmt.Errorf("fetchers still not idle: %v: %w", want, err)
		}
		delete(want, t)
	}
	return nil
}

// Grantable says how many slots tier's fetcher could take now.
func Grantable(c *Client, tier Tier) int {
	return c.eng.Load().Grantable(tier)
}

// WaitTick waits until c's schedule firer (started with StartWithSignals) reports a tick for
// which ok holds, and returns it. Ticks that do not match are kept for later calls, so ticks
// may be waited for in any order.
func WaitTick(c *Client, d time.Duration, ok func(maint.CronTick) bool) (maint.CronTick, error) {
	cr := c.cron.Load()
	if cr == nil {
		return maint.CronTick{}, errors.New("the client fires no schedules")
	}
	v, _ := tickBacklogs.LoadOrStore(cr, &tickBacklog{})
	b := v.(*tickBacklog)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, k := range b.ticks {
		if ok(k) {
			b.ticks = append(b.ticks[:i], b.ticks[i+1:]...)
			return k, nil
		}
	}
	deadline := time.Now().Add(d)
	for {
		k, err := cr.Ticked.Wait(time.Until(deadline))
		if err != nil {
			return k, fmt.Errorf("%w (ticks seen and not matched: %+v)", err, b.ticks)
		}
		if ok(k) {
			return k, nil
		}
		b.ticks = append(b.ticks, k)
	}
}

// tickBacklogs holds, per schedule firer, the ticks WaitTick saw and did not match.
var tickBacklogs sync.Map // *maint.Cron → *tickBacklog

type tickBacklog struct {
	mu    sync.Mutex
	ticks []maint.CronTick
}
