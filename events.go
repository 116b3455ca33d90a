package slaq

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slaqhq/slaq/internal/engine"
)

// EventKind says what happened to a job.
type EventKind uint8

// The job events. Each reaches the observers once per occurrence in this process; a
// dead-lettering reaches them once per job across every process moving dead letters.
const (
	EventEnqueued     = EventKind(engine.EventEnqueued)     // stored by Enqueue (duplicates are not)
	EventStarted      = EventKind(engine.EventStarted)      // a run began; Pickup is its pickup latency
	EventCompleted    = EventKind(engine.EventCompleted)    // a run succeeded; RunTime is set
	EventRetried      = EventKind(engine.EventRetried)      // a run failed and the job will run again; Error
	EventSnoozed      = EventKind(engine.EventSnoozed)      // the handler asked to run again later
	EventFailed       = EventKind(engine.EventFailed)       // attempts exhausted or permanent error; Error
	EventDeadLettered = EventKind(engine.EventDeadLettered) // moved to the dead-letter queue; Job as it died
	EventSLABreach    = EventKind(engine.EventSLABreach)    // a pickup slower than its tier's SLA target
	EventReleased     = EventKind(engine.EventReleased)     // handed back unrun or unfinished at shutdown
	EventAbandoned    = EventKind(engine.EventAbandoned)    // a handler ignored its timeout and was given up on
	// EventRateLimited: a fetch held back runnable jobs of Job.Type in Job.Tier by the type's
	// RateLimit (one per type per fetch); Job names only Type and Tier.
	EventRateLimited = EventKind(engine.EventRateLimited)

	EventSpooled   EventKind = 101 // written to the spool by Enqueue: the store did not answer
	EventForwarded EventKind = 102 // moved from the outbox or the spool into the store
	EventRanDirect EventKind = 103 // run in-process by Enqueue (DegradeDirect); RunTime, Error
)

var eventNames = map[EventKind]string{
	EventEnqueued: "enqueued", EventStarted: "started", EventCompleted: "completed", EventRetried: "retried",
	EventSnoozed: "snoozed", EventFailed: "failed", EventDeadLettered: "dead_lettered", EventSLABreach: "sla_breach",
	EventReleased: "released", EventAbandoned: "abandoned", EventRateLimited: "rate_limited",
	EventSpooled: "spooled", EventForwarded: "forwarded", EventRanDirect: "ran_direct",
}

// String returns the kind's name, e.g. "dead_lettered".
func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one thing that happened to a job.
type Event struct {
	Kind    EventKind
	At      time.Time     // when it happened
	Job     *Job          // the job; observers must not change it
	Pickup  time.Duration // EventStarted, EventSLABreach: time from runnable to started
	RunTime time.Duration // EventCompleted, EventRetried, EventSnoozed, EventFailed, EventAbandoned, EventRanDirect
	Error   string        // EventRetried, EventFailed, EventAbandoned, EventRanDirect, EventSpooled (the store's error); EventDeadLettered: the last error
}

// Observer receives job events. Observe is called on one goroutine per client, in the order
// the events happened in this process, except that a job's EventEnqueued may come after its
// first EventStarted (a worker can start a job before Enqueue returns). A slow observer delays only other observers, never a worker, and events beyond
// Config.EventBuffer are dropped and counted. A panic in Observe is logged and ignored.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to an [Observer].
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// dispatcher hands events to the observers through a bounded queue, on a goroutine started
// with the first event.
type dispatcher struct {
	observers []Observer
	log       Logger
	ch        chan dispatchItem
	once      sync.Once
	dropped   atomic.Uint64
}

// dispatchItem is an event, or with flushed set a marker whose channel closes once every
// event before it was delivered.
type dispatchItem struct {
	ev      Event
	flushed chan struct{}
}

func newDispatcher(obs []Observer, buffer int, log Logger) *dispatcher {
	return &dispatcher{observers: obs, log: log, ch: make(chan dispatchItem, buffer)}
}

// emit queues e, or counts it as dropped when the queue is full. With no observers it does
// nothing.
func (d *dispatcher) emit(e Event) {
	if len(d.observers) == 0 {
		return
	}
	d.once.Do(func() { go d.run() })
	select {
	case d.ch <- dispatchItem{ev: e}:
	default:
		d.dropped.Add(1)
	}
}

func (d *dispatcher) fromEngine(e engine.Event) {
	d.emit(Event{Kind: EventKind(e.Kind), At: e.At, Job: e.Job, Pickup: e.Pickup, RunTime: e.RunTime, Error: e.Error})
}

// flush waits until every event queued so far was delivered, or ctx ends.
func (d *dispatcher) flush(ctx context.Context) error {
	if len(d.observers) == 0 {
		return nil
	}
	d.once.Do(func() { go d.run() })
	done := make(chan struct{})
	select {
	case d.ch <- dispatchItem{flushed: done}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *dispatcher) run() {
	for it := range d.ch {
		if it.flushed != nil {
			close(it.flushed)
			continue
		}
		for _, o := range d.observers {
			d.deliver(o, it.ev)
		}
	}
}

func (d *dispatcher) deliver(o Observer, e Event) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("slaq: an observer panicked", "event", e.Kind, "panic", r)
		}
	}()
	o.Observe(e)
}
