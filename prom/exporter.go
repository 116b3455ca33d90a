package prom

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/slaqhq/slaq"
)

// Defaults of [Options].
const (
	// DefaultMaxTypes is how many job types get their own label value: 100. Later ones are
	// counted under [OtherType].
	DefaultMaxTypes = 100
	// OtherType is the type label of job types beyond MaxTypes: "other".
	OtherType = "other"
	// DefaultScrapeTimeout bounds the store read of one scrape: 2 s.
	DefaultScrapeTimeout = 2 * time.Second
	// DefaultNoTargetReference is the reference the pickup buckets of a tier without an SLA
	// target (BATCH) are laid around: 5 min.
	DefaultNoTargetReference = 5 * time.Minute
	// RateLimitedEvent is the name ([slaq.EventKind.String]) of the event a rate-limit
	// deferral emits; MetricRateLimited counts events of that name.
	RateLimitedEvent = "rate_limited"
)

// DefaultSLAFactors lay a tier's pickup-latency buckets around its target T: 0.01·T up to
// 10·T, dense near T, so the share within target is a bucket boundary.
var DefaultSLAFactors = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 5, 10}

// DefaultRunTimeBuckets are the run-time buckets: 1 ms to 30 min, in seconds.
var DefaultRunTimeBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800}

// Options configure an [Exporter]. The zero value is usable.
type Options struct {
	// SLA is each tier's pickup target, around which its latency buckets are laid. Default
	// the tier's default target (slaq.DefaultTierConfig); a tier with none (or slaq.None)
	// uses DefaultNoTargetReference. Give the client's Config.Tiers SLAs here when they differ.
	SLA map[slaq.Tier]time.Duration
	// SLAFactors multiply the target into bucket bounds. Default DefaultSLAFactors.
	SLAFactors []float64
	// RunTimeBuckets are the run-time histogram's bounds in seconds. Default
	// DefaultRunTimeBuckets.
	RunTimeBuckets []float64
	// MaxTypes is how many job types get their own label value. Default DefaultMaxTypes.
	MaxTypes int
	// Types are job types known up front (e.g. the config file's); they take their label
	// values first. Default none.
	Types []string
	// ScrapeTimeout bounds the store read of one scrape. Default DefaultScrapeTimeout.
	ScrapeTimeout time.Duration
	// NoRuntimeMetrics leaves out the Go runtime and process collectors. Default: included.
	NoRuntimeMetrics bool
}

// Exporter counts slaq events and serves them, with a watched client's gauges, to
// Prometheus. It is safe for concurrent use and may observe several clients.
type Exporter struct {
	reg      *prometheus.Registry
	counters []*prometheus.CounterVec // by slot
	slot     [256]int8                // event kind → counter slot, -1: none
	breaches *prometheus.CounterVec
	pickup   [slaq.NumTiers]*prometheus.HistogramVec
	runTime  *prometheus.HistogramVec
	maxTypes int

	mu     sync.Mutex
	types  map[string]struct{}
	series map[seriesKey]*series

	client  atomic.Pointer[slaq.Client]
	timeout time.Duration
}

type seriesKey struct {
	tier slaq.Tier
	typ  string
}

// series holds one tier and type's metric children, looked up once.
type series struct {
	counters []prometheus.Counter
	breach   prometheus.Counter
	pickup   prometheus.Observer
	runTime  prometheus.Observer
}

// counted are the event kinds with a counter of their own, and their metric names.
var counted = []struct {
	name, help string
	kind       func() (slaq.EventKind, bool)
}{
	{MetricEnqueued, "Jobs stored by Enqueue in this process.", known(slaq.EventEnqueued)},
	{MetricStarted, "Runs started in this process.", known(slaq.EventStarted)},
	{MetricCompleted, "Runs that succeeded in this process.", known(slaq.EventCompleted)},
	{MetricRetried, "Runs that failed and will be retried.", known(slaq.EventRetried)},
	{MetricSnoozed, "Runs that asked to run again later.", known(slaq.EventSnoozed)},
	{MetricFailed, "Jobs whose attempts ran out or that failed permanently.", known(slaq.EventFailed)},
	{MetricDeadLettered, "Jobs moved to the dead-letter queue by this process (each job by one process).", known(slaq.EventDeadLettered)},
	{MetricReleased, "Jobs handed back unrun or unfinished at shutdown.", known(slaq.EventReleased)},
	{MetricAbandoned, "Runs given up on after ignoring their timeout.", known(slaq.EventAbandoned)},
	{MetricRateLimited, "Runs deferred by their job type's rate limit.", byName(RateLimitedEvent)},
	{MetricSpooled, "Jobs Enqueue wrote to the local spool because the store did not answer.", known(slaq.EventSpooled)},
	{MetricForwarded, "Jobs moved from the outbox or the spool into the store by this process.", known(slaq.EventForwarded)},
	{MetricRanDirect, "Jobs Enqueue ran in this process because the store did not answer (DegradeDirect).", known(slaq.EventRanDirect)},
}

func known(k slaq.EventKind) func() (slaq.EventKind, bool) {
	return func() (slaq.EventKind, bool) { return k, true }
}

// byName finds the event kind called name, so a counter works once the kind exists.
func byName(name string) func() (slaq.EventKind, bool) {
	return func() (slaq.EventKind, bool) {
		for k := range 256 {
			if slaq.EventKind(k).String() == name {
				return slaq.EventKind(k), true
			}
		}
		return 0, false
	}
}

// New returns an exporter with its own registry.
func New(opts Options) *Exporter {
	x := &Exporter{reg: prometheus.NewRegistry(), maxTypes: opts.MaxTypes, timeout: opts.ScrapeTimeout,
		types: map[string]struct{}{}, series: map[seriesKey]*series{}}
	if x.maxTypes <= 0 {
		x.maxTypes = DefaultMaxTypes
	}
	if x.timeout <= 0 {
		x.timeout = DefaultScrapeTimeout
	}
	for i := range x.slot {
		x.slot[i] = -1
	}
	labels := []string{"tier", "type"}
	for i, c := range counted {
		x.counters = append(x.counters, prometheus.NewCounterVec(prometheus.CounterOpts{Name: c.name, Help: c.help}, labels))
		if k, ok := c.kind(); ok {
			x.slot[k] = int8(i)
		}
		x.reg.MustRegister(x.counters[i])
	}
	x.breaches = prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricSLABreaches,
		Help: "Pickups slower than the tier's SLA target."}, []string{"tier"})
	factors := opts.SLAFactors
	if len(factors) == 0 {
		factors = DefaultSLAFactors
	}
	for i, t := range slaq.Tiers {
		x.pickup[i] = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricPickup,
			Help:        "Pickup latency: from when a job became runnable to when its run started.",
			ConstLabels: prometheus.Labels{"tier": t.String()}, Buckets: slaBuckets(target(opts.SLA, t), factors)}, []string{"type"})
		x.reg.MustRegister(x.pickup[i])
	}
	rb := opts.RunTimeBuckets
	if len(rb) == 0 {
		rb = DefaultRunTimeBuckets
	}
	x.runTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricRunTime,
		Help: "How long one run took.", Buckets: rb}, labels)
	x.reg.MustRegister(x.breaches, x.runTime, gauges{x})
	if !opts.NoRuntimeMetrics {
		x.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, typ := range opts.Types {
		x.label(typ)
	}
	return x
}

// target is tier t's pickup target for bucket layout.
func target(sla map[slaq.Tier]time.Duration, t slaq.Tier) time.Duration {
	d, ok := sla[t]
	if !ok || d == 0 {
		d = slaq.DefaultTierConfig(t).SLA
	}
	if d <= 0 {
		d = DefaultNoTargetReference
	}
	return d
}

func slaBuckets(t time.Duration, factors []float64) []float64 {
	out := make([]float64, len(factors))
	for i, f := range factors {
		out[i] = t.Seconds() * f
	}
	return out
}

// Registry is the exporter's own registry; register more collectors on it if you like.
func (x *Exporter) Registry() *prometheus.Registry { return x.reg }

// Handler serves the registry in the Prometheus exposition format.
func (x *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(x.reg, promhttp.HandlerOpts{})
}

// Watch makes scrapes read c's gauges (store counts, workers, events dropped). Call it once
// the client exists; a later call replaces the client.
func (x *Exporter) Watch(c *slaq.Client) { x.client.Store(c) }

// Observe counts one event. It is an [slaq.Observer].
func (x *Exporter) Observe(e slaq.Event) {
	if e.Job == nil || !e.Job.Tier.Valid() {
		return
	}
	s := x.seriesFor(e.Job.Tier, e.Job.Type)
	switch e.Kind {
	case slaq.EventSLABreach:
		s.breach.Inc()
		return
	case slaq.EventStarted:
		s.pickup.Observe(e.Pickup.Seconds())
	case slaq.EventCompleted, slaq.EventRetried, slaq.EventSnoozed, slaq.EventFailed, slaq.EventAbandoned:
		if e.RunTime > 0 {
			s.runTime.Observe(e.RunTime.Seconds())
		}
	}
	if i := x.slot[e.Kind]; i >= 0 {
		s.counters[i].Inc()
	}
}

// label returns typ's label value: typ itself while fewer than MaxTypes types have one.
// Callers hold x.mu or are in New.
func (x *Exporter) label(typ string) string {
	if _, ok := x.types[typ]; ok {
		return typ
	}
	if len(x.types) >= x.maxTypes {
		return OtherType
	}
	x.types[typ] = struct{}{}
	return typ
}

func (x *Exporter) seriesFor(t slaq.Tier, typ string) *series {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := seriesKey{t, typ}
	if s, ok := x.series[k]; ok {
		return s
	}
	lv := x.label(typ)
	if lv != typ { // folded: one shared series, and no map entry per unknown type
		k = seriesKey{t, lv}
		if s, ok := x.series[k]; ok {
			return s
		}
	}
	tn := t.String()
	s := &series{breach: x.breaches.WithLabelValues(tn), pickup: x.pickup[t.Index()].WithLabelValues(lv),
		runTime: x.runTime.WithLabelValues(tn, lv)}
	for _, c := range x.counters {
		s.counters = append(s.counters, c.WithLabelValues(tn, lv))
	}
	x.series[k] = s
	return s
}
