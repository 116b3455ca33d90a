// Package dlq is slaq's dead-letter queue: the SQL table failed_jobs that holds every job that
// spent all its attempts or failed permanently, so that an operator can read, retry, delete and
// purge them.
//
// # Backends
//
// One implementation over database/sql serves two backends, chosen by the DSN given to [Open]
// or [OpenWith]: a local SQLite file (the default; modernc.org/sqlite, WAL journal, busy
// timeout, immediate write transactions) or PostgreSQL (a "postgres://" or "postgresql://" URL,
// through pgx's database/sql driver). Every query is the same SQL text on both; only the
// migrations and the way a connection is opened differ. [Open] applies the embedded goose
// migrations (migrations/sqlite, migrations/postgres) before it returns, under a PostgreSQL
// advisory lock so that several processes may start at once. Goose records its progress in
// its own table, [MigrationsTable], so the dead-letter queue can share a database with other
// tables.
//
// # The failed_jobs table
//
// One row per dead job, with snake_case columns: id (the row id), job_id (UNIQUE), type, tier
// (1-5), payload and payload_bytes (see below), error (the last error's text, a panic's stack
// included), attempts, max_attempts, timeout_ms, backoff_ms, unique_key, unique_ttl_ms,
// retain_ms, created_at, started_at (the last run) and failed_at (when the job died). Every
// time is an int64 count of Unix milliseconds. Indexes serve filtering by type, by tier and
// by failed_at, and listing newest first.
//
// # Payloads, types and error texts
//
// A payload must come back byte for byte, for a retry to run the job the handler saw. The
// payload column is TEXT, so that operators can read it with psql or sqlite3 (and cast it to
// jsonb), and it holds nearly every payload exactly. But JSON that encoding/json accepts may
// hold strings that are not valid UTF-8, which a PostgreSQL text (or jsonb) column refuses.
// For such a payload, payload_bytes (BYTEA, or BLOB in SQLite; NULL on every other row) keeps
// the exact bytes and payload holds a readable copy, the invalid bytes as U+FFFD. Readers,
// [DB.Get] and [DB.Job] among them, take payload_bytes when it is not NULL. A payload that is
// not valid JSON at all is refused: [Entry.Payload] is a json.RawMessage.
//
// The type, the job id and the unique key are stored as given or not at all: changing them
// would route a retry to another handler or break its idempotency. PostgreSQL refuses them
// with NUL bytes or invalid UTF-8, and refuses a type too long for its index (about 2,700
// bytes); SQLite stores them all. The error text is only for people, so [DB.Add] makes it
// storable instead: invalid UTF-8 and NUL bytes become U+FFFD, and a text longer than
// [MaxErrorBytes] keeps its head and ends with a marker line giving the full length. An
// error text is never the reason a job is refused.
//
// # Refused jobs
//
// One job the queue cannot store never keeps the others out. [DB.Add] writes the batch in one
// transaction; if the database refuses a row for its data (PostgreSQL SQLSTATE classes 22, 23
// and 54; SQLite constraint, size and type errors), it stores the rows one by one and returns
// a [*RejectedError] naming the refused jobs and why. The engine, which does not import this
// package, finds it with errors.As(err, &r) for r of type
// interface{ Rejected() map[string]string }, treats every other job as moved and sets the
// refused ones aside. Any other error, such as a lost connection, a timeout or a cancelled
// ctx, reports nothing as rejected: the batch is to be tried again whole, which is safe (see
// Idempotency).
//
// # Deadlines
//
// Every method bounds its database work by [Options.QueryTimeout] ([DefaultQueryTimeout],
// 5 s) on top of the caller's ctx, so a server or network path that goes silent while the
// sockets stay open (a half-open connection) makes calls fail in bounded time rather than
// hang. A connection whose query was cut off is closed (pgx closes it, database/sql discards
// it), and after PostgreSQL gave no answer the pool's idle connections are closed too, as they
// are likely as dead: the next call dials afresh. PostgreSQL connections use TCP keepalives
// (probes after 15 s idle, every 5 s, 3 at most), and a connection attempt is bounded by
// [DefaultConnectTimeout] or the query timeout, whichever is shorter. Migrations in [Open]
// are bounded by Open's ctx alone, since they may wait up to a minute for another process's
// migration lock.
//
// # Idempotency
//
// [DB.Add] is idempotent on the job id: adding a job whose id is already in the table updates
// that row in place (same row id) with the job as given, rather than adding a second row. The
// engine moves a dead job by adding it here and then forgetting it in the job store; if the
// process dies between the two steps, the job is added again on restart and the table still
// holds exactly one row for it, carrying the latest error, attempts and failure time.
package dlq
