// Package outbox is slaq's transactional outbox: a table in the application's own database
// (PostgreSQL through pgx's database/sql driver, or SQLite through modernc.org/sqlite) into
// which slaq.Client.EnqueueTx writes jobs inside the caller's transaction, and from which a
// forwarder moves committed jobs into the store (Redis or embedded) and deletes them.
//
// A job exists for slaq exactly when its transaction commits: a rolled-back transaction
// leaves no row, a committed one leaves a row that some forwarder moves. On PostgreSQL a move
// is one transaction around the store write, in two round trips: BEGIN with a DELETE of the
// oldest rows locked FOR UPDATE SKIP LOCKED, RETURNING them (forwarders on many replicas share
// the work without a leader and never move the same row at once); then, after the store
// write, COMMIT. A crash before COMMIT leaves the rows, which are forwarded again; the store's
// Enqueue is idempotent on job id, so the job is stored once. On SQLite the move waits for
// the write lock, reads, writes to the store, then deletes.
//
// The spool of slaq's degradation policy (jobs enqueued while the store is unreachable) is the
// same table in a local SQLite file ([OpenSpool]), drained by the same forwarder, in order.
//
// Forwarders wake on commit, not by polling. On PostgreSQL:
//
//   - An insert from a process whose forwarder listens ([Outbox.Listen]) takes, inside its
//     INSERT statement, a shared transaction-level advisory lock of a group of this
//     process's inserting transactions; a commit waiter of the forwarder asks for that lock
//     exclusively on a connection of its own, is granted it when the group's transactions
//     have ended, and wakes the forwarder. The caller's transaction gets no NOTIFY: a NOTIFY
//     costs more than the INSERT, and PostgreSQL serialises the commits of every notifying
//     transaction, WAL flush included, on one lock (measured here: 8 concurrent clients
//     committing an INSERT each went from about 7,000 to 3,900 commits/s once each
//     transaction NOTIFYed; with the advisory lock they stayed at 7,000). The advisory keys
//     are two int4 values: a random class per Outbox and a group counter.
//   - An insert from a process without a listening forwarder NOTIFYs a channel of the
//     table's schema, which PostgreSQL delivers at commit to the forwarders listening
//     anywhere.
//
// On SQLite the insert signals the forwarder in the same process, whose next move waits for
// the inserting transaction's write lock, i.e. for its commit. A long safety interval
// (slaq.DefaultForwardInterval) covers what no signal announces (another process's SQLite
// writes, a notification lost with its connection, a transaction that enqueued again after
// rolling back to a savepoint that held its first enqueue).
//
// The migrations are embedded (goose, version table [MigrationsTable]); run them with
// [Migrate], with Options.Migrate, or with `slaq migrate`.
package outbox
