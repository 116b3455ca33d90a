package dashboard

import (
	"math"
	"sync"
	"time"

	"github.com/slaqhq/slaq"
)

// Defaults of [HistoryOptions].
const (
	// DefaultChartWindow is how far back the charts reach: 10 min.
	DefaultChartWindow = 10 * time.Minute
	// DefaultChartStep is the width of one chart bucket: 10 s.
	DefaultChartStep = 10 * time.Second
)

// HistoryOptions configure a [History].
type HistoryOptions struct {
	Window time.Duration    // how far back it keeps; default DefaultChartWindow
	Step   time.Duration    // one bucket's width; default DefaultChartStep
	Now    func() time.Time // the clock; default time.Now
}

// latency histogram: bin i holds pickups up to binBound(i) ms, bounds growing by 25 % from
// 0.1 ms; the last bin holds everything beyond (~18 min).
const (
	numBins   = 72
	binFirst  = 0.1
	binGrowth = 1.25
)

func binBound(i int) float64 { return binFirst * math.Pow(binGrowth, float64(i)) }

func binOf(ms float64) int {
	if ms <= binFirst {
		return 0
	}
	i := int(math.Ceil(math.Log(ms/binFirst) / math.Log(binGrowth)))
	return min(i, numBins-1)
}

// bucket is one step of one tier.
type bucket struct {
	slot      int64 // the step number (Unix time / Step); a bucket of another slot is stale
	pickups   int64
	bins      [numBins]uint32
	max       float64
	completed int64
	failed    int64
}

// History keeps, per tier, a ring of recent pickup latencies and outcomes, fed by the
// client's event stream: add it to slaq.Config.Observers. It is safe for concurrent use.
type History struct {
	step time.Duration
	now  func() time.Time
	mu   sync.Mutex
	ring [slaq.NumTiers][]bucket
}

var _ slaq.Observer = (*History)(nil)

// NewHistory returns an empty history with opts' window and step.
func NewHistory(opts HistoryOptions) *History {
	if opts.Window <= 0 {
		opts.Window = DefaultChartWindow
	}
	if opts.Step <= 0 {
		opts.Step = DefaultChartStep
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	n := int(max(opts.Window/opts.Step, 2))
	h := &History{step: opts.Step, now: opts.Now}
	for i := range h.ring {
		h.ring[i] = make([]bucket, n)
	}
	return h
}

// Observe records pickups (EventStarted), completions and failures (EventFailed and
// EventRetried).
func (h *History) Observe(e slaq.Event) {
	if e.Job == nil || !e.Job.Tier.Valid() {
		return
	}
	switch e.Kind {
	case slaq.EventStarted, slaq.EventCompleted, slaq.EventFailed, slaq.EventRetried:
	default:
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.bucketAt(e.Job.Tier.Index(), e.At)
	switch e.Kind {
	case slaq.EventStarted:
		ms := float64(e.Pickup) / float64(time.Millisecond)
		b.pickups++
		b.bins[binOf(ms)]++
		b.max = max(b.max, ms)
	case slaq.EventCompleted:
		b.completed++
	default:
		b.failed++
	}
}

// bucketAt returns the bucket of tier at t, cleared if it held an older step.
func (h *History) bucketAt(tier int, t time.Time) *bucket {
	slot := t.UnixNano() / int64(h.step)
	r := h.ring[tier]
	b := &r[int(slot%int64(len(r)))]
	if b.slot != slot {
		*b = bucket{slot: slot}
	}
	return b
}

// Point is one step of a tier's history.
type Point struct {
	At        time.Time // the step's start
	Pickups   int64     // jobs picked up
	P50, P99  float64   // pickup latency percentiles, ms (upper bounds of 25 % bins, capped at Max); 0 with no pickups
	Max       float64   // slowest pickup, ms
	Completed int64     // runs that succeeded
	Failed    int64     // runs that failed (retried or failed for good)
}

// Series returns tier's points over the window, oldest first, one per step (the last one is
// the step in progress).
func (h *History) Series(tier slaq.Tier) []Point {
	if !tier.Valid() {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.ring[tier.Index()]
	n := int64(len(r))
	last := h.now().UnixNano() / int64(h.step)
	out := make([]Point, 0, n)
	for slot := last - n + 1; slot <= last; slot++ {
		p := Point{At: time.Unix(0, slot*int64(h.step))}
		if b := &r[int(((slot%n)+n)%n)]; b.slot == slot {
			p.Pickups, p.Max, p.Completed, p.Failed = b.pickups, b.max, b.completed, b.failed
			p.P50, p.P99 = b.quantile(0.5), b.quantile(0.99)
		}
		out = append(out, p)
	}
	return out
}

// Step is the width of one point.
func (h *History) Step() time.Duration { return h.step }

func (b *bucket) quantile(q float64) float64 {
	if b.pickups == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(b.pickups)))
	var seen int64
	for i, c := range b.bins {
		if seen += int64(c); seen >= rank {
			return min(binBound(i), b.max)
		}
	}
	return b.max
}
