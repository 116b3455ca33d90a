package server

import (
	"context"
	"fmt"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dashboard"
)

// dashboardRateLimits shows the client's rate limits on the dashboard's config page.
func dashboardRateLimits(c *slaq.Client) func(context.Context) ([]dashboard.RateLimit, error) {
	return func(ctx context.Context) ([]dashboard.RateLimit, error) {
		limits, err := c.RateLimits(ctx)
		if err != nil {
			return nil, err
		}
		deferred := c.RateLimited()
		out := make([]dashboard.RateLimit, len(limits))
		for i, l := range limits {
			limit := fmt.Sprintf("%d per %s", l.Rate, l.Per)
			if l.Burst > 0 {
				limit += fmt.Sprintf(" (+%d burst)", l.Burst)
			}
			next := "now"
			if wait := time.Until(l.NextFree); wait > 0 {
				next = "in " + wait.Round(time.Millisecond).String()
			}
			out[i] = dashboard.RateLimit{Type: l.Type, Tier: l.Tier.String(), Limit: limit, NextFree: next, Deferred: deferred[l.Type]}
		}
		return out, nil
	}
}
