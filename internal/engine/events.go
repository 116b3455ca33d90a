package engine

import (
	"time"

	"github.com/slaqhq/slaq/store"
)

// EventKind says what happened to a job. The values are those of slaq.EventKind.
type EventKind uint8

// The engine's events; package slaq documents each.
const (
	EventEnqueued EventKind = iota + 1
	EventStarted
	EventCompleted
	EventRetried
	EventSnoozed
	EventFailed
	EventDeadLettered
	EventSLABreach
	EventReleased
	EventAbandoned
	EventRateLimited
)

// Event is one job event as the engine reports it.
type Event struct {
	Kind    EventKind
	At      time.Time
	Job     *store.Job    // the job as claimed; observers must not change it
	Pickup  time.Duration // EventStarted, EventSLABreach
	RunTime time.Duration // outcome events
	Error   string        // EventRetried, EventFailed, EventAbandoned
}
