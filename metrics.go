package slaq

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// TierMetrics is one tier's state: the store's counts (shared by every process), and this
// process's workers and pickup latency.
type TierMetrics struct {
	store.Counts
	Total   int64          `json:"total"`   // waiting + active + completed + failed + delayed
	Workers int            `json:"workers"` // this tier's own workers in this process
	Busy    int            `json:"busy"`    // of those, how many run a job (of any tier) or are taken for a fetch
	Running int            `json:"running"` // jobs of this tier running in this process
	Latency LatencySummary `json:"pickup_latency"`
}

// Metrics returns every tier's metrics, keyed by tier name (e.g. "CRITICAL"). Counts come
// from O(1) store counters; latency from this process's recent pickups.
func (c *Client) Metrics(ctx context.Context) (map[string]TierMetrics, error) {
	counts, err := c.st.Counts(ctx)
	if err != nil {
		return nil, fmt.Errorf("slaq: metrics: %w", err)
	}
	var busy, running [NumTiers]int
	c.mu.Lock()
	if e := c.eng; e != nil {
		busy = e.slots.snapshot()
		for i, a := range e.active {
			running[i] = a.len()
		}
	}
	c.mu.Unlock()
	out := make(map[string]TierMetrics, NumTiers)
	for i, t := range Tiers {
		out[t.String()] = TierMetrics{
			Counts:  counts[i],
			Total:   counts[i].Total(),
			Workers: c.tiers[i].Workers,
			Busy:    busy[i],
			Running: running[i],
			Latency: c.stats[i].summary(),
		}
	}
	return out, nil
}
