// Package sqlitestore is slaq's embedded [store.Store]: jobs live in one local SQLite file,
// written through modernc.org/sqlite (pure Go, no cgo), so a service needs no server.
//
// # Durability
//
// The file runs in WAL mode and every state change is one SQL transaction (or one savepoint
// of a grouped transaction, see below), so a crash leaves each job wholly before or wholly
// after a change, and every commit survives a crash of the process. Power loss is what
// Options.Synchronous is about. With the default "FULL" only what is promised is fsynced:
// an [Store.Enqueue], [Store.SetPaused] or [Store.Cancel] returns only once an fsync of the
// WAL that began after its commit has ended, so an acknowledged job (and pause, and cancel)
// survives power loss. The other writes (Fetch claims, Ack outcomes, lease extensions,
// Rescue, Clean, DeleteFailed) do not wait for an fsync: power loss may undo the latest of them, which only replays work (a
// lost claim leaves the job waiting, a lost completion runs it again), so delivery stays at
// least once. Options.SyncEveryWrite makes them wait too.
//
// The writer commits with SQLite's synchronous NORMAL, which in WAL mode does not fsync at
// commit, and the store then fsyncs the WAL file itself, outside the writer lock. The WAL
// is appended in commit order, so one fsync makes every commit before it durable: writers
// that wait at once share one fsync, and no write ever waits for the writer lock behind an
// fsync. A job is visible to Fetch as soon as it is committed, so it may start before its
// Enqueue returns (before it is durable); if power fails in between, its enqueue was never
// acknowledged. "EXTRA" makes every commit fsync inside SQLite before it is visible (the
// slowest and strictest); "NORMAL" and "OFF" promise nothing across power loss. If the file
// cannot use WAL, "FULL" fsyncs every commit inside SQLite. On Linux the store's sync of
// the WAL is an fdatasync, as SQLite's own: it flushes the WAL's data and size, not its
// timestamps.
//
// # Checkpoints
//
// No commit runs a checkpoint: the writer connection has SQLite's automatic checkpoint off,
// and a background checkpointer on a connection of its own copies the WAL back into the
// database file (a PASSIVE checkpoint, which neither takes the writer lock nor stops
// writers) once it holds Options.CheckpointPages pages not yet copied (default 1,000), then
// repeats it a few times while commits made meanwhile remain, so that the WAL is wholly
// copied and the next write starts it over. A checkpoint fsyncs the WAL before it copies
// and the database file after, so every commit it copies stays durable once the WAL is
// overwritten. If writes never pause long enough for that and the WAL reaches
// Options.WALRestartPages pages (default 16,000), the checkpointer waits until the store
// has made no commit for 100 ms and runs a TRUNCATE checkpoint, which holds off writers
// (of every process) while it copies the rest and empties the WAL file. It stops on Close.
// With CheckpointPages < 0 SQLite checkpoints inside the commit that takes the WAL past
// 1,000 pages, under the writer lock, as it does by default.
//
// # Group commit
//
// Write calls that arrive while a write transaction runs are merged into the next one: the
// call that takes the writer lock leads and takes the queued calls with it (the more urgent
// tiers first, then oldest first; calls less urgent than the leader's only while the group
// stays within eight rows, and about a thousand rows in all). Each call runs in its own
// SAVEPOINT: it commits all its changes or none, and gets its own results and error, as if
// the calls had run one after another in that order (an id stored or a unique key taken by
// one call is a duplicate for the next). So fifty concurrent single-job enqueues cost one
// transaction and one fsync, not fifty, and a Fetch that arrives behind a burst of
// enqueues runs in the next transaction, after the enqueues it may then claim.
//
// # Layout
//
// Table slaq_jobs holds every job with an integer sequence for first-come-first-served order;
// slaq_tiers holds one row per tier with the pause flag, the counts, and the numbers of
// completed and failed jobs still kept, all updated in the same transactions as the jobs, so
// [Store.Counts] never scans and retention by count finds the jobs beyond its limit without
// counting them; slaq_unique maps each (tier, unique key) to its holder until it expires;
// slaq_rate holds each (tier, type) rate limit and its GCRA state, read and advanced inside
// the fetch transaction, so every process on the file shares the limit: the fetch serves
// each limited type's lane (its held jobs, oldest first) as far as the type's limit allows,
// then walks the waiting jobs in pickup order, and a job of a limited type that has a lane,
// or no start free, joins its lane (state 'held', read back everywhere as waiting, indexed
// by slaq_jobs_lanes) instead of being claimed, so that no later walk steps over it again
// and it keeps its place among its type's jobs.
// slaq_once holds each [Store.Once] slot's expiry (the winner's now + ttl), claimed by one
// upsert that takes over only a lapsed row. The
// schema is created and upgraded on [Open] by embedded goose migrations recorded in the table
// slaq_store_version, so other packages may keep their own goose-managed tables in the same
// file.
//
// # Ids and unique keys
//
// A job's tier is the digit its id starts with: [Store.Enqueue] rejects a job whose Tier
// disagrees (before it stores anything), and every other method finds the tier from the id.
// Enqueue is idempotent on id: a job whose id is stored, in any state, is not stored again
// and reports Duplicate with its own id, so a job forwarded twice (e.g. from a spool after a
// crash) runs once. A unique key is scoped to its tier, as on Redis, where each tier lives in
// its own slot: the same key in two tiers holds two jobs. It is held from its holder's
// enqueue until its TTL passes or its holder is cancelled; completion, failure, dead-lettering
// and retention keep it held. Expired keys are dropped by [Store.Clean].
//
// # Reads, listing and retention
//
// Each state has an index in its listing order (waiting and delayed by run time, active by
// lease end, completed and failed by finish time), so a page of [Store.List] costs
// O(log n + Limit) wherever it starts. Its cursor is the last job's place in that order
// (the order value and the sequence), not an offset, so deleting jobs before it does not
// shift the next page. [Store.Clean] runs in one transaction of at most Limit deletions per
// kind (completed, failed), plus at most Limit expired unique keys, each step walking an
// index: a call stays short however many jobs are due, and a result equal to Limit says to
// call again. Completed jobs expire by their own RetainMs (an index on FinishedAt +
// RetainMs), failed jobs by the request's FailedRetainMs. An [store.AckComplete] with
// KeepCompleted > 0 deletes the oldest completed jobs beyond it in the ack's transaction,
// in O(log n + deleted).
//
// # Writers and readers
//
// Inside a process every write goes through one connection, serialized by a lock, so
// writers never churn on SQLITE_BUSY. The lock favours urgent tiers: while a CRITICAL fetch
// or enqueue waits, no less urgent write may take it, so a busy BATCH drain delays CRITICAL
// work by at most the one transaction in progress, which holds no fsync. Reads
// ([Store.Get], [Store.Counts], [Store.Failed], [Store.List], [Store.Ping]) use a small pool
// of other connections and run beside the writer. Several processes may share the file: each
// write transaction starts with BEGIN IMMEDIATE and waits up to BusyTimeout for the file's
// write lock. A write call whose context ends while it waits for the lock leaves the queue
// and returns the context's error; once its group's transaction runs, it runs to the end,
// since that transaction belongs to every call in it.
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
// every tier's waiters if it did. That check, and the checkpointer's wait for an idle
// moment before it truncates a large WAL, are the store's only timed activities.
package sqlitestore
