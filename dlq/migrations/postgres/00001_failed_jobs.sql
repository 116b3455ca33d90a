-- The dead-letter queue: one row per dead job, keyed by job id. Times are Unix ms.

-- +goose Up
CREATE TABLE failed_jobs (
    id            BIGINT   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id        TEXT     NOT NULL UNIQUE,
    type          TEXT     NOT NULL,
    tier          SMALLINT NOT NULL CHECK (tier BETWEEN 1 AND 5),
    payload       TEXT     NOT NULL DEFAULT '',
    error         TEXT     NOT NULL DEFAULT '',
    attempts      INTEGER  NOT NULL DEFAULT 0,
    max_attempts  INTEGER  NOT NULL DEFAULT 0,
    timeout_ms    BIGINT   NOT NULL DEFAULT 0,
    backoff_ms    BIGINT   NOT NULL DEFAULT 0,
    unique_key    TEXT     NOT NULL DEFAULT '',
    unique_ttl_ms BIGINT   NOT NULL DEFAULT 0,
    retain_ms     BIGINT   NOT NULL DEFAULT 0,
    created_at    BIGINT   NOT NULL DEFAULT 0,
    started_at    BIGINT   NOT NULL DEFAULT 0,
    failed_at     BIGINT   NOT NULL
);
CREATE INDEX failed_jobs_failed_at ON failed_jobs (failed_at, id);
CREATE INDEX failed_jobs_type_failed_at ON failed_jobs (type, failed_at);
CREATE INDEX failed_jobs_tier_failed_at ON failed_jobs (tier, failed_at);

-- +goose Down
DROP TABLE failed_jobs;
