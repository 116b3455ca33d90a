// Package outbox is slaq's transactional outbox: a table in the application's own database
// (PostgreSQL through pgx's database/sql driver, or SQLite through modernc.org/sqlite) into
// which slaq.Client.EnqueueTx writes jobs inside the caller's transaction, and from which a
// forwarder moves committed jobs into the store (Redis or embedded) and deletes them.
//
// A job exists for slaq exactly when its transaction commits: a rolled-back transaction
// leaves no row, a committed one leaves a row that some forwarder moves. The move is one
// database transaction around the store write: the rows are locked (FOR UPDATE SKIP LOCKED
// on PostgreSQL, so forwarders on many replicas share the work without a leader and never
// move the same row at once; the write lock on SQLite), written to the store, then deleted.
// A crash between the store write and the delete leaves the rows, which are forwarded again;
// the store's Enqueue is idempotent on job id, so the job is stored once.
//
// The spool of slaq's degradation policy (jobs enqueued while the store is unreachable) is the
// same table in a local SQLite file ([OpenSpool]), drained by the same forwarder, in order.
//
// Forwarders wake on commit: on PostgreSQL a statement trigger NOTIFYs a channel of the
// table's schema, which a dedicated connection LISTENs on ([Outbox.Listen]); on SQLite the
// insert signals the forwarder in the same process, whose next move waits for the inserting
// transaction's write lock, i.e. for its commit. A long safety interval
// (slaq.DefaultForwardInterval) covers what no signal announces (another process's SQLite
// writes, a notification lost with its connection).
//
// The migrations are embedded (goose, version table [MigrationsTable]); run them with
// [Migrate], with Options.Migrate, or with `slaq migrate`.
package outbox
