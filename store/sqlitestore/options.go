package sqlitestore

import (
	"fmt"
	"strings"
	"time"
)

// Defaults for [Options]; each applies when its field is left at its zero value.
const (
	// DefaultSynchronous fsyncs every commit: committed jobs survive power loss.
	DefaultSynchronous = "FULL"
	// DefaultBusyTimeout is how long a write waits for another process's write lock.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultExternalChangeInterval is how often the store checks whether another process
	// changed the file, to wake this process's waiters.
	DefaultExternalChangeInterval = 500 * time.Millisecond
	// DefaultReadConns is the size of the pool of read connections.
	DefaultReadConns = 4
)

// Options tune a [Store]. The zero value gives the documented defaults.
type Options struct {
	// Synchronous is SQLite's synchronous setting: "FULL" fsyncs every commit (durable
	// across power loss); "NORMAL" survives a process crash but may lose the latest
	// commits on power loss; "OFF" is for throwaway files. Default DefaultSynchronous ("FULL").
	Synchronous string

	// BusyTimeout is how long a statement waits for a lock held by another process before
	// it fails. Default DefaultBusyTimeout (5 s).
	BusyTimeout time.Duration

	// ExternalChangeInterval is how often the store checks whether another process wrote
	// the file, and if so wakes every waiter: the safety net that lets processes sharing a
	// file wake each other. It is the store's only timed check. A negative value disables
	// it (a single process per file). Default DefaultExternalChangeInterval (500 ms).
	ExternalChangeInterval time.Duration

	// ReadConns is how many connections serve reads beside the one writer.
	// Default DefaultReadConns (4).
	ReadConns int
}

// withDefaults returns o with every zero field set to its default, or an error for a bad value.
func (o Options) withDefaults() (Options, error) {
	if o.Synchronous == "" {
		o.Synchronous = DefaultSynchronous
	}
	o.Synchronous = strings.ToUpper(o.Synchronous)
	switch o.Synchronous {
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return o, fmt.Errorf("sqlitestore: Synchronous %q: want OFF, NORMAL, FULL or EXTRA", o.Synchronous)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.ExternalChangeInterval == 0 {
		o.ExternalChangeInterval = DefaultExternalChangeInterval
	}
	if o.ReadConns <= 0 {
		o.ReadConns = DefaultReadConns
	}
	return o, nil
}
