// Package sqlitestore is slaq's embedded [store.Store]: jobs live in one local SQLite file,
// written through modernc.org/sqlite (pure Go, no cgo), so a service needs no server.
//
// # Durability
//
// The file runs in WAL mode and every state change is one SQL transaction, so a crash leaves
// each job wholly before or wholly after a change. With the default Synchronous "FULL" every
// commit is fsynced before it returns: an acknowledged enqueue survives a process crash and
// a power loss. The engine batches (bulk enqueue, fetch and ack many jobs per call), so one
// fsync is shared by a whole batch. Jobs that were active when a process died keep their
// lease; [Store.Rescue] returns them to waiting once it expires.
//
// # Layout
//
// Table slaq_jobs holds every job with an integer sequence for first-come-first-served order;
// slaq_tiers holds one row per tier with the pause flag and the counts, updated in the same
// transactions as the jobs, so [Store.Counts] never scans; slaq_unique maps unique keys to
// their holder until they expire. The schema is created and upgraded on [Open] by embedded
// goose migrations recorded in the table slaq_store_version, so other packages may keep
// their own goose-managed tables in the same file.
//
// # Writers and readers
//
// Inside a process every write goes through one connection, serialized by a lock, so
// writers never churn on SQLITE_BUSY. The lock favours urgent tiers: while a CRITICAL fetch
// or enqueue waits, no less urgent write may take it, so a busy BATCH drain delays CRITICAL
// work by at most the one transaction in progress. Reads ([Store.Get], [Store.Counts],
// [Store.Dead]) use a small pool of other connections and run beside the writer. Several
// processes may share the file: each write transaction starts with BEGIN IMMEDIATE and
// waits up to BusyTimeout for the file's write lock.
//
// # Wake-ups
//
// [Store.Wait] does not poll. Each tier has a broadcast signal that every write making work
// runnable in the tier fires after its commit: an enqueue into the tier, a retry, snooze or
// release, a rescue, a resume. A Wait that starts after such a signal but before the next
// Fetch of its tier returns at once, so a wake-up between a Fetch and the following Wait is
// not lost. Writes by other processes cannot signal this one; as a safety net, a single
// background check every ExternalChangeInterval (default 500 ms) reads PRAGMA data_version
// on the writer connection, which changes only when another connection committed, and wakes
// every tier's waiters if it did. That check is the store's only timed activity.
package sqlitestore
