-- The embedded store's schema. Times are Unix milliseconds; states are the words of
-- store.State so the file reads well in the sqlite3 shell.

-- +goose Up
CREATE TABLE slaq_jobs (
    seq           INTEGER PRIMARY KEY,           -- insertion order: FIFO tie-break
    id            TEXT    NOT NULL UNIQUE,
    tier          INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    payload       BLOB,
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 1,
    timeout_ms    INTEGER NOT NULL DEFAULT 0,
    backoff_ms    INTEGER NOT NULL DEFAULT 0,
    run_at        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER NOT NULL DEFAULT 0,
    finished_at   INTEGER NOT NULL DEFAULT 0,
    lease_until   INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT '',
    unique_key    TEXT    NOT NULL DEFAULT '',
    unique_ttl_ms INTEGER NOT NULL DEFAULT 0,
    retain_ms     INTEGER NOT NULL DEFAULT 0,
    result        BLOB,
    owner         TEXT    NOT NULL DEFAULT ''   -- the process that claimed it last
);

-- Fetch (waiting by run_at, seq), promotion and NextRunAt (delayed by run_at), Rescue (active).
CREATE INDEX slaq_jobs_queue ON slaq_jobs (tier, state, run_at, seq);

-- Clean (completed by finish time) and Dead (failed, oldest first).
CREATE INDEX slaq_jobs_completed ON slaq_jobs (tier, finished_at, seq) WHERE state = 'completed';
CREATE INDEX slaq_jobs_failed ON slaq_jobs (tier, finished_at, seq) WHERE state = 'failed';

-- One row per tier: the pause flag, current counts kept in step by every write, and totals.
CREATE TABLE slaq_tiers (
    tier      INTEGER PRIMARY KEY,
    paused    INTEGER NOT NULL DEFAULT 0,
    waiting   INTEGER NOT NULL DEFAULT 0,
    active    INTEGER NOT NULL DEFAULT 0,
    delayed   INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,  -- cumulative
    failed    INTEGER NOT NULL DEFAULT 0   -- cumulative
);
INSERT INTO slaq_tiers (tier) VALUES (1), (2), (3), (4), (5);

-- Unique keys and the job holding each until expires_at (its enqueue time + its TTL).
CREATE TABLE slaq_unique (
    key        TEXT    PRIMARY KEY,
    job_id     TEXT    NOT NULL,
    tier       INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX slaq_unique_expiry ON slaq_unique (tier, expires_at);

-- +goose Down
DROP TABLE slaq_unique;
DROP TABLE slaq_tiers;
DROP TABLE slaq_jobs;
