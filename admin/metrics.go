package admin

import (
	"encoding/json"
	"math"
	"net/http"

	"github.com/slaqhq/slaq"
)

// tierMetrics is one tier in GET /api/jobs/metrics: the guide's counts first, then what
// slaq adds.
type tierMetrics struct {
	Waiting   int64   `json:"waiting"`
	Active    int64   `json:"active"`
	Completed int64   `json:"completed"`
	Failed    int64   `json:"failed"`
	Delayed   int64   `json:"delayed"`
	Total     int64   `json:"total"`
	Paused    bool    `json:"paused"`
	Priority  int     `json:"priority"`
	Workers   int     `json:"workers"` // this process's own workers of the tier
	Running   int     `json:"running"` // jobs of the tier running in this process
	SLA       slaView `json:"sla"`
}

// slaView is a tier's pickup-latency SLA as this process measured it over its recent pickups.
type slaView struct {
	TargetMs      float64 `json:"target_ms"` // 0: no target (BATCH)
	PickupP50Ms   float64 `json:"pickup_p50_ms"`
	PickupP95Ms   float64 `json:"pickup_p95_ms"`
	PickupP99Ms   float64 `json:"pickup_p99_ms"`
	CompliancePct float64 `json:"compliance_pct"` // share of pickups within target, percent (100 with none)
	Breaches      int64   `json:"breaches"`       // pickups slower than target since this process started
	Samples       int     `json:"samples"`        // pickups in the percentile window
}

type metricsAnswer struct {
	Success bool      `json:"success"`
	Metrics tierTable `json:"metrics"`
}

// tierTable is the metrics object, keyed by tier name, most urgent tier first (as the
// guide shows it; a map would sort the names).
type tierTable []tierEntry

type tierEntry struct {
	name string
	m    tierMetrics
}

// MarshalJSON writes {"CRITICAL": {…}, "HIGH": {…}, …} in tier order.
func (t tierTable) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, e := range t {
		if i > 0 {
			b = append(b, ',')
		}
		v, err := json.Marshal(e.m)
		if err != nil {
			return nil, err
		}
		b = append(b, '"')
		b = append(b, e.name...)
		b = append(b, '"', ':')
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

func (h *Handler) metrics(w http.ResponseWriter, r *http.Request) {
	m, err := h.opts.Client.Metrics(r.Context())
	if err != nil {
		writeErr(w, err)
		return
	}
	out := metricsAnswer{Success: true, Metrics: make(tierTable, 0, len(m))}
	for _, t := range slaq.Tiers {
		tm, ok := m[t.String()]
		if !ok {
			continue
		}
		l := tm.Latency
		out.Metrics = append(out.Metrics, tierEntry{t.String(), tierMetrics{
			Waiting: tm.Waiting, Active: tm.Active, Completed: tm.Completed, Failed: tm.Failed,
			Delayed: tm.Delayed, Total: tm.Total, Paused: tm.Paused, Priority: int(t),
			Workers: tm.Workers, Running: tm.Running,
			SLA: slaView{
				TargetMs: l.SLA, PickupP50Ms: l.P50, PickupP95Ms: l.P95, PickupP99Ms: l.P99,
				CompliancePct: math.Round(l.WithinSLA*10000) / 100, Breaches: l.Breaches, Samples: l.Samples,
			},
		}})
	}
	writeJSON(w, http.StatusOK, out)
}

// tierBody is the body of pause and resume: {"priority": 5} as the guide sends it, or
// {"tier": "BATCH"}; either takes a number or a name.
type tierBody struct {
	Priority tierRef `json:"priority"`
	Tier     tierRef `json:"tier"`
}

func (b tierBody) tier() (slaq.Tier, error) {
	switch {
	case b.Priority.set && b.Tier.set && b.Priority.tier != b.Tier.tier:
		return 0, badRequest("priority and tier name different tiers")
	case b.Priority.set:
		return b.Priority.tier, nil
	case b.Tier.set:
		return b.Tier.tier, nil
	}
	return 0, fail(http.StatusBadRequest, CodeUnknownTier, `name the tier: {"priority": 5} or {"tier": "BATCH"}`)
}

type pauseAnswer struct {
	Success  bool   `json:"success"`
	Tier     string `json:"tier"`
	Priority int    `json:"priority"`
	Paused   bool   `json:"paused"`
}

func (h *Handler) pause(w http.ResponseWriter, r *http.Request)  { h.setPaused(w, r, true) }
func (h *Handler) resume(w http.ResponseWriter, r *http.Request) { h.setPaused(w, r, false) }

func (h *Handler) setPaused(w http.ResponseWriter, r *http.Request, paused bool) {
	var b tierBody
	if err := decode(r, &b, false); err != nil {
		writeErr(w, err)
		return
	}
	t, err := b.tier()
	if err != nil {
		writeErr(w, err)
		return
	}
	op := h.opts.Client.Resume
	if paused {
		op = h.opts.Client.Pause
	}
	if err := op(r.Context(), t); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, pauseAnswer{Success: true, Tier: t.String(), Priority: int(t), Paused: paused})
}
