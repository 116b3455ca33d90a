package slaq

import (
	"context"
	"time"
)

// StartWithSignals starts c with the engine's test signals initialised.
func StartWithSignals(ctx context.Context, c *Client) error {
	c.testSignals = true
	return c.Start(ctx)
}

// WaitFetcherIdle waits until tier's fetcher found no work and went to wait for some.
func WaitFetcherIdle(c *Client, tier Tier, d time.Duration) error {
	c.mu.Lock()
	e := c.eng
	c.mu.Unlock()
	_, err := e.Signals.FetcherIdle.WaitFor(d, func(t Tier) bool { return t == tier })
	return err
}

// Grantable says how many slots tier's fetcher could take now.
func Grantable(c *Client, tier Tier) int {
	c.mu.Lock()
	e := c.eng
	c.mu.Unlock()
	return e.Grantable(tier)
}
