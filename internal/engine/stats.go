package engine

import (
	"math"
	"slices"
	"sync"
	"time"
)

// latencyWindow keeps one tier's recent pickup latencies (a ring of the last n) and running
// totals of pickups within and beyond the tier's SLA target.
type latencyWindow struct {
	sla time.Duration

	mu       sync.Mutex
	ring     []float64 // ms
	next     int
	full     bool
	picked   int64
	breaches int64
}

func newLatencyWindow(n int, sla time.Duration) *latencyWindow {
	return &latencyWindow{sla: sla, ring: make([]float64, max(n, 1))}
}

// record adds one pickup and reports whether it breached the SLA target.
func (s *latencyWindow) record(d time.Duration) (breach bool) {
	d = max(d, 0)
	breach = s.sla > 0 && d > s.sla
	s.mu.Lock()
	s.ring[s.next] = float64(d) / float64(time.Millisecond)
	s.next++
	if s.next == len(s.ring) {
		s.next, s.full = 0, true
	}
	s.picked++
	if breach {
		s.breaches++
	}
	s.mu.Unlock()
	return breach
}

// Latency describes a tier's pickup latency in this process; package slaq re-exports it.
type Latency struct {
	Samples   int     `json:"samples"`    // pickups in the window
	P50       float64 `json:"p50_ms"`     // nearest-rank percentiles over the window, ms
	P95       float64 `json:"p95_ms"`     //
	P99       float64 `json:"p99_ms"`     //
	Max       float64 `json:"max_ms"`     //
	SLA       float64 `json:"sla_ms"`     // the tier's pickup target, ms (0: none)
	Picked    int64   `json:"picked"`     // pickups since the engine started
	Breaches  int64   `json:"breaches"`   // pickups slower than the target since start
	WithinSLA float64 `json:"within_sla"` // share of pickups within target, 0..1 (1 with none)
}

func (s *latencyWindow) summary() Latency {
	s.mu.Lock()
	n := s.next
	if s.full {
		n = len(s.ring)
	}
	v := slices.Clone(s.ring[:n])
	out := Latency{Samples: n, Picked: s.picked, Breaches: s.breaches, SLA: float64(s.sla) / float64(time.Millisecond)}
	s.mu.Unlock()
	out.WithinSLA = 1
	if out.Picked > 0 {
		out.WithinSLA = float64(out.Picked-out.Breaches) / float64(out.Picked)
	}
	if n == 0 {
		return out
	}
	slices.Sort(v)
	out.P50, out.P95, out.P99, out.Max = Percentile(v, 50), Percentile(v, 95), Percentile(v, 99), v[n-1]
	return out
}

// Percentile is the nearest-rank percentile p (0..100) of sorted: sorted[ceil(p/100·n)-1];
// 0 for no values.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	k := int(math.Ceil(p/100*float64(n))) - 1
	k = max(0, min(k, n-1))
	return sorted[k]
}
