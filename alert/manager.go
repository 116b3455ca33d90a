package alert

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slaqhq/slaq"
)

// Defaults of [Options].
const (
	// DefaultDeadLetterWindow: at most one dead-letter alert per job type per 5 min.
	DefaultDeadLetterWindow = 5 * time.Minute
	// DefaultSLABreachWindow: at most one SLA-breach alert per tier per 5 min.
	DefaultSLABreachWindow = 5 * time.Minute
	// DefaultThresholdCount is the guide's threshold: more than 10 dead letters...
	DefaultThresholdCount = 10
	// DefaultThresholdWindow ... in 24 h; also how long the threshold alert stays quiet after firing.
	DefaultThresholdWindow = 24 * time.Hour
	// DefaultQueue is how many alerts may wait for the claim, and for each notifier: 256.
	DefaultQueue = 256
	// DefaultAttempts is how many times a notifier is tried per alert: 3.
	DefaultAttempts = 3
	// DefaultRetryWait is the pause before the second try, doubling after: 1 s.
	DefaultRetryWait = time.Second
	// DefaultNotifyTimeout bounds one try of a notifier, and one claim or count: 10 s.
	DefaultNotifyTimeout = 10 * time.Second
	// DefaultKeyPrefix starts every claimed key: "alert:".
	DefaultKeyPrefix = "alert:"
)

// Options configure a [Manager]. The zero value is usable (alerts go to the log only, and are
// deduplicated in this process only, which is right for a single process).
type Options struct {
	// Claimer deduplicates across replicas; give it the client's store. Default none: once
	// per window in this process.
	Claimer Claimer
	// Notifiers receive the alerts. Default: Log{}.
	Notifiers []Notifier
	// DeadLetterWindow is the dead-letter rule's window. Default DefaultDeadLetterWindow;
	// slaq.None turns the rule off.
	DeadLetterWindow time.Duration
	// SLABreachWindow is the SLA-breach rule's window. Default DefaultSLABreachWindow;
	// slaq.None turns the rule off.
	SLABreachWindow time.Duration
	// SLATiers are the tiers whose breaches alert. Default every tier.
	SLATiers []slaq.Tier
	// DeadLetters counts dead letters for the threshold rule (CountDLQ). Default none: the
	// threshold rule is off.
	DeadLetters DeadLetterCounter
	// ThresholdCount: the threshold fires when more than this many dead letters are in
	// ThresholdWindow. Default DefaultThresholdCount.
	ThresholdCount int64
	// ThresholdWindow is the threshold's window. Default DefaultThresholdWindow.
	ThresholdWindow time.Duration
	// Queue, Attempts, RetryWait and NotifyTimeout tune delivery. Defaults DefaultQueue,
	// DefaultAttempts, DefaultRetryWait, DefaultNotifyTimeout.
	Queue         int
	Attempts      int
	RetryWait     time.Duration
	NotifyTimeout time.Duration
	// KeyPrefix starts every claimed key. Default DefaultKeyPrefix.
	KeyPrefix string
	// Redact returns the job as notifiers may show it, with its sensitive payload fields
	// redacted: give it the client's RedactJob. It runs once per alert sent. Default none:
	// notifiers see the job as it was.
	Redact func(*slaq.Job) *slaq.Job
	// Logger receives dropped alerts and claim failures. Default slog.Default().
	Logger *slog.Logger
	// Now tells the time. Default time.Now.
	Now func() time.Time
}

// Stats counts what a manager did.
type Stats struct {
	Fired      uint64 // alerts claimed by this replica and handed to the notifiers
	Suppressed uint64 // alerts another replica (or an earlier alert) sent within the window
	Delivered  uint64 // notifier sends that succeeded
	Dropped    uint64 // sends given up after every try, or that found a full queue; each logged
}

// Manager evaluates the rules over events and delivers alerts. Create it with [New], give it
// to slaq.Config.Observers, and Close it after the client stopped.
type Manager struct {
	o       Options
	sla     [slaq.NumTiers]bool
	in      chan candidate
	sinks   []*sink
	wg      sync.WaitGroup
	stop    chan struct{}
	once    sync.Once
	claimed chan struct{} // closed when the claim loop ended

	mu    sync.Mutex
	quiet map[string]time.Time // key → no need to try before then

	pmu     sync.Mutex
	pending int             // alerts offered and not yet sent or dropped, per notifier
	waiters []chan struct{} // Flush calls waiting for pending to reach 0

	fired, suppressed, delivered, dropped atomic.Uint64
}

type candidate struct {
	a      Alert
	window time.Duration
}

type sink struct {
	n  Notifier
	ch chan Alert
}

// New starts a manager.
func New(o Options) *Manager {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.DeadLetterWindow, DefaultDeadLetterWindow)
	def(&o.SLABreachWindow, DefaultSLABreachWindow)
	def(&o.ThresholdWindow, DefaultThresholdWindow)
	def(&o.RetryWait, DefaultRetryWait)
	def(&o.NotifyTimeout, DefaultNotifyTimeout)
	if o.ThresholdCount <= 0 {
		o.ThresholdCount = DefaultThresholdCount
	}
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = DefaultKeyPrefix
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Notifiers) == 0 {
		o.Notifiers = []Notifier{Log{Logger: o.Logger}}
	}
	m := &Manager{o: o, in: make(chan candidate, o.Queue), stop: make(chan struct{}), quiet: map[string]time.Time{}}
	tiers := o.SLATiers
	if len(tiers) == 0 {
		tiers = slaq.Tiers[:]
	}
	for _, t := range tiers {
		if t.Valid() {
			m.sla[t.Index()] = true
		}
	}
	for _, n := range o.Notifiers {
		s := &sink{n: n, ch: make(chan Alert, o.Queue)}
		m.sinks = append(m.sinks, s)
		m.wg.Go(func() { m.deliver(s) })
	}
	done := make(chan struct{})
	go func() { m.claimLoop(); close(done) }()
	m.claimed = done
	return m
}

// Stats returns the counts so far.
func (m *Manager) Stats() Stats {
	return Stats{Fired: m.fired.Load(), Suppressed: m.suppressed.Load(), Delivered: m.delivered.Load(), Dropped: m.dropped.Load()}
}

// Observe evaluates the rules on e without blocking: an alert is queued for its claim, unless
// this replica knows its key is quiet. It is an [slaq.Observer].
func (m *Manager) Observe(e slaq.Event) {
	if e.Job == nil {
		return
	}
	switch {
	case e.Kind == slaq.EventDeadLettered:
		if m.o.DeadLetterWindow > 0 {
			m.offer(candidate{Alert{Rule: RuleDeadLetter, Key: RuleDeadLetter + ":" + e.Job.Type, At: e.At, Job: e.Job, Error: e.Error}, m.o.DeadLetterWindow})
		}
		if m.o.DeadLetters != nil {
			m.offer(candidate{Alert{Rule: RuleThreshold, Key: RuleThreshold, At: e.At, Job: e.Job, Error: e.Error}, m.o.ThresholdWindow})
		}
	case e.Kind == slaq.EventSLABreach && m.o.SLABreachWindow > 0 && e.Job.Tier.Valid() && m.sla[e.Job.Tier.Index()]:
		m.offer(candidate{Alert{Rule: RuleSLABreach, Key: RuleSLABreach + ":" + e.Job.Tier.String(), At: e.At, Job: e.Job, Pickup: e.Pickup}, m.o.SLABreachWindow})
	}
}

func (m *Manager) offer(c candidate) {
	if m.isQuiet(c.a.Key) {
		m.suppressed.Add(1)
		return
	}
	select {
	case <-m.stop:
		m.drop(c.a, "", errors.New("the manager is closed"))
		return
	default:
	}
	m.add(1)
	select {
	case m.in <- c:
	default:
		m.drop(c.a, "", errors.New("the alert queue is full"))
		m.done(1)
	}
}

func (m *Manager) isQuiet(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.quiet[key]
	if ok && m.o.Now().After(until) {
		delete(m.quiet, key)
		return false
	}
	return ok
}

func (m *Manager) setQuiet(key string, d time.Duration) {
	m.mu.Lock()
	m.quiet[key] = m.o.Now().Add(d)
	m.mu.Unlock()
}

func (m *Manager) drop(a Alert, notifier string, err error) {
	m.dropped.Add(1)
	m.o.Logger.Error("slaq alert dropped", "notifier", notifier, "rule", a.Rule, "key", a.Key, "summary", summary(a), "err", err)
}
