package sqlitestore

import (
	"fmt"
	"strings"
	"time"
)

// Defaults for [Options]; each applies when its field is left at its zero value.
const (
	// DefaultSynchronous makes acknowledged enqueues and pauses survive power loss (see
	// Options.Synchronous).
	DefaultSynchronous = "FULL"
	// DefaultSyncEveryWrite leaves the claims, outcomes, lease extensions, rescues and
	// cleans of jobs without an fsync of their own (see Options.SyncEveryWrite).
	DefaultSyncEveryWrite = false
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
	// Synchronous says which commits survive power loss. Every commit survives a crash of
	// the process. Default DefaultSynchronous ("FULL").
	//
	//   - "FULL": an Enqueue or SetPaused returns only once its commit is fsynced, so an
	//     acknowledged job survives power loss. The other writes (Fetch claims, Ack
	//     outcomes, lease extensions, Rescue, Clean, Forget) return without waiting for an
	//     fsync: power loss may undo the latest of them, which only makes work run again
	//     (a lost claim leaves the job waiting, a lost completion runs it once more), so
	//     delivery stays at least once. The writer commits with SQLite's synchronous NORMAL
	//     and the store fsyncs the WAL file after the commit, outside the writer lock, one
	//     fsync for every commit made meanwhile; as the WAL is written in commit order, that
	//     fsync makes every earlier commit durable too. A job is visible to Fetch once
	//     committed, so it may start before its Enqueue returns. If the file cannot use WAL,
	//     every commit fsyncs by itself (SQLite's FULL).
	//   - "EXTRA": SQLite's EXTRA: every commit fsyncs before it is visible or returns.
	//   - "NORMAL": SQLite's NORMAL: nothing waits for an fsync; power loss may undo the
	//     latest commits of any kind, acknowledged enqueues included.
	//   - "OFF": no fsync at all, for throwaway files.
	Synchronous string

	// SyncEveryWrite, with Synchronous "FULL", makes every write wait for the fsync of its
	// commit, as Enqueue and SetPaused do, so power loss undoes no acknowledged claim or
	// outcome either. Default DefaultSyncEveryWrite (false).
	SyncEveryWrite bool

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
	o.Synchronous = strings.ToUpper(strings.TrimSpace(o.Synchronous))
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
