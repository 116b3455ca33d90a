// Package dlq is slaq's dead-letter queue: the SQL table failed_jobs that holds every job that
// spent all its attempts or failed permanently, so that an operator can read, retry, delete and
// purge them.
//
// # Backends
//
// One implementation over database/sql serves two backends, chosen by the DSN given to [Open]:
// a local SQLite file (the default; modernc.org/sqlite, WAL journal, busy timeout, immediate
// write transactions) or PostgreSQL (a "postgres://" or "postgresql://" URL, through pgx's
// database/sql driver). Every query is the same SQL text on both; only the migrations and the way
// a connection is opened differ. [Open] applies the embedded goose migrations
// (migrations/sqlite, migrations/postgres) before it returns, under a PostgreSQL advisory lock so
// that several processes may start at once. Goose records its progress in its own table,
// [MigrationsTable], so the dead-letter queue can share a database with other tables.
//
// # The failed_jobs table
//
// One row per dead job, with snake_case columns: id (the row id), job_id (UNIQUE), type, tier
// (1-5), payload (the job's JSON as text, readable with psql or sqlite3), error (the last
// error's full text, a panic's stack included), attempts, max_attempts, timeout_ms, backoff_ms,
// unique_key, unique_ttl_ms, retain_ms, created_at, started_at (the last run) and failed_at
// (when the job died). Every time is an int64 count of Unix milliseconds. Indexes serve
// filtering by type, by tier and by failed_at, and listing newest first.
//
// # Idempotency
//
// [DB.Add] is idempotent on the job id: adding a job whose id is already in the table updates
// that row in place (same row id) with the job as given, rather than adding a second row. The
// engine moves a dead job by adding it here and then forgetting it in the job store; if the
// process dies between the two steps, the job is added again on restart and the table still
// holds exactly one row for it, carrying the latest error, attempts and failure time. All the
// jobs of one Add are written in one transaction: all of them or none.
package dlq
