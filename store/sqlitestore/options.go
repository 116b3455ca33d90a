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
	// DefaultSyncEveryWrite leaves the claims, outcomes, lease extensions, rescues, cleans
	// and dead-letter deletions of jobs without an fsync of their own (see
	// Options.SyncEveryWrite).
	DefaultSyncEveryWrite = false
	// DefaultBusyTimeout is how long a write waits for another process's write lock.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultExternalChangeInterval is how often the store checks whether another process
	// changed the file, to wake this process's waiters.
	DefaultExternalChangeInterval = 500 * time.Millisecond
	// DefaultReadConns is the size of the pool of read connections.
	DefaultReadConns = 4
	// DefaultCheckpointPages is the WAL size, in pages not yet copied into the database
	// file, at which the background checkpointer copies them (SQLite's own default mark).
	DefaultCheckpointPages = 1_000
	// DefaultWALRestartPages is the WAL size, in pages, past which the background
	// checkpointer empties the WAL at the store's next idle moment.
	DefaultWALRestartPages = 16_000
)

// Options tune a [Store]. The zero value gives the documented defaults.
type Options struct {
	// Synchronous says which commits survive power loss. Every commit survives a crash of
	// the process. Default DefaultSynchronous ("FULL").
	//
	//   - "FULL": an Enqueue, SetPaused or Cancel returns only once its commit is fsynced,
	//     so an acknowledged job survives power loss. The other writes (Fetch claims, Ack
	//     outcomes, lease extensions, Rescue, Clean, DeleteFailed) return without waiting for an
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
	// commit, as Enqueue, SetPaused and Cancel do, so power loss undoes no acknowledged claim or
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

	// CheckpointPages is how many pages the WAL may hold beyond what is already copied into
	// the database file before the background checkpointer copies them (a PASSIVE
	// checkpoint on its own connection, which never holds the writer lock nor stops
	// writers). The writer connection runs with SQLite's automatic checkpoint off, so no
	// commit ever pays for a checkpoint. A negative value turns the background checkpointer
	// off: SQLite then checkpoints inside the commit that takes the WAL past 1,000 pages,
	// under the writer lock. Default DefaultCheckpointPages (1,000 pages, 4 MB with the
	// default page size).
	CheckpointPages int

	// WALRestartPages bounds the WAL under writes that never pause long enough for a
	// PASSIVE checkpoint to copy all of it (the WAL starts over only then): once it holds
	// this many pages, the checkpointer waits until the store has made no commit for 100 ms
	// and runs a TRUNCATE checkpoint, which holds off writers while it copies the rest and
	// empties the WAL file. A negative value never truncates. It is unused when
	// CheckpointPages is negative. Default DefaultWALRestartPages (16,000 pages, 64 MB
	// with the default page size).
	WALRestartPages int
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
	if o.CheckpointPages == 0 {
		o.CheckpointPages = DefaultCheckpointPages
	}
	if o.WALRestartPages == 0 {
		o.WALRestartPages = DefaultWALRestartPages
	}
	return o, nil
}
