package slaq

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// LatencySummary describes a tier's pickup latency in this process.
type LatencySummary struct {
	Samples   int     `json:"samples"`    // pickups in the window
	P50       float64 `json:"p50_ms"`     // nearest-rank percentiles over the window, ms
	P95       float64 `json:"p95_ms"`     //
	P99       float64 `json:"p99_ms"`     //
	Max       float64 `json:"max_ms"`     //
	SLA       float64 `json:"sla_ms"`     // the tier's pickup target, ms (0: none)
	Picked    int64   `json:"picked"`     // pickups since the client started
	Breaches  int64   `json:"breaches"`   // pickups slower than the target since start
	WithinSLA float64 `json:"within_sla"` // share of pickups within target, 0..1 (1 with none)
}

// TierMetrics is one tier's state: the store's counts (shared by every process), and this
// process's workers and pickup latency.
type TierMetrics struct {
	store.Counts
	Total      int64          `json:"total"`       // waiting + active + completed + failed + delayed
	Workers    int            `json:"workers"`     // this tier's own workers in this process
	MaxWorkers int            `json:"max_workers"` // most of its jobs running at once here; 0: no limit
	Busy       int            `json:"busy"`        // own workers running a job (of any tier) or taken for a fetch
	Lent       int            `json:"lent"`        // own workers running another tier's job (lent or helping)
	Running    int            `json:"running"`     // jobs of this tier running in this process, on any worker
	Latency    LatencySummary `json:"pickup_latency"`
}

// Metrics returns every tier's metrics, keyed by tier name (e.g. "CRITICAL"). Counts come
// from O(1) store counters; workers and latency from this process.
func (c *Client) Metrics(ctx context.Context) (map[string]TierMetrics, error) {
	if err := checkCtx(ctx, "metrics"); err != nil {
		return nil, err
	}
	counts, err := c.st.Counts(ctx)
	if err != nil {
		return nil, fmt.Errorf("slaq: metrics: %w", err)
	}
	e := c.eng.Load()
	out := make(map[string]TierMetrics, NumTiers)
	for i, t := range Tiers {
		m := TierMetrics{Counts: counts[i], Total: counts[i].Total(), Workers: c.cfg.tiers[i].Workers,
			MaxWorkers: c.cfg.tiers[i].MaxWorkers}
		m.Latency.SLA = float64(c.cfg.tiers[i].SLA.Milliseconds())
		m.Latency.WithinSLA = 1
		out[t.String()] = m
	}
	if e != nil {
		s := e.Snapshot()
		for i, t := range Tiers {
			m := out[t.String()]
			m.Busy, m.Lent, m.Running = s.Busy[i], s.Lent[i], s.Running[i]
			m.Latency = LatencySummary(s.Latency[i])
			out[t.String()] = m
		}
	}
	return out, nil
}
