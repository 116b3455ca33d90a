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
// A row whose job record does not decode to a valid job (not JSON; an empty id or type, an
// invalid tier, a tier its id does not name: a hand-written row, another version's format)
// would fail the store's write of its batch every time, and hold up every job behind it. A
// forward therefore sets it aside, in the transaction that removes the batch, into
// [RejectedTable] (columns id, seq, job_id, job, payload, reason, rejected_at in ms since the
// Unix epoch), reports it in [Forwarded].Rejected (slaq's forwarder logs it at error level and
// counts it in DurableStats.Rejected), and moves the batch's other jobs as usual, in order.
// [Outbox.Rejected] counts the table. An operator reads it with plain SQL:
//
//	SELECT id, seq, job_id, reason, rejected_at, convert_from(job, 'UTF8') FROM slaq_outbox_rejected ORDER BY id;
//
// (on SQLite, CAST(job AS TEXT)), and either re-inserts a fixed record, which a forwarder then
// moves like any new row (behind the rows committed since; within the safety interval, as no
// insert signals it), and deletes the rejection in the same transaction:
//
//	BEGIN;
//	INSERT INTO slaq_outbox (job_id, job, payload)
//	    SELECT job_id, convert_to('{"ID":"2…","Type":"send_email","Tier":"HIGH","State":"waiting",…}', 'UTF8'), payload
//	    FROM slaq_outbox_rejected WHERE id = 7;
//	DELETE FROM slaq_outbox_rejected WHERE id = 7;
//	COMMIT;
//
// (on SQLite, CAST('{…}' AS BLOB) for convert_to), or drops it with the DELETE alone. The seq
// of a rejection is the row's seq in the outbox; id names the rejection. seq is never reused
// on either database (SQLite's is AUTOINCREMENT), so a forwarder that deletes the rows up to
// the last seq it read never deletes a row inserted since.
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
