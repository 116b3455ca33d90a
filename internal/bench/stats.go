package bench

import (
	"math"
	"slices"
	"time"

	"github.com/slaqhq/slaq/internal/engine"
)

// percentile is the nearest-rank p-th percentile of sorted (WORKLOADS: percentiles), the
// same definition the engine's latency windows use.
var percentile = engine.Percentile

// distribution adds name_p50, name_p99, name_max and name_mean of samples to r.
func (r *Result) distribution(name string, samples []float64) {
	s := slices.Clone(samples)
	slices.Sort(s)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	mean := 0.0
	if len(s) > 0 {
		mean = sum / float64(len(s))
	}
	r.add(name+"_p50", percentile(s, 50))
	r.add(name+"_p99", percentile(s, 99))
	r.add(name+"_max", percentile(s, 100))
	r.add(name+"_mean", mean)
}

// rate is jobs per second rounded to an integer (WORKLOADS: rates); 0 for no time.
func rate(jobs int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return math.Round(float64(jobs) / d.Seconds())
}

// ms and us convert process-clock nanoseconds.
func ms(ns int64) float64 { return float64(ns) / float64(time.Millisecond) }
func us(ns int64) float64 { return float64(ns) / float64(time.Microsecond) }
