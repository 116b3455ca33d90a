package slaq

import (
	"context"
	"fmt"
	"time"
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
