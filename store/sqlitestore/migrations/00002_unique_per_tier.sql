-- Unique keys are scoped per (tier, key), as on Redis, where each tier lives in its own
-- slot: the same key in two tiers holds two jobs.

-- +goose Up
CREATE TABLE slaq_unique_per_tier (
    tier       INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    job_id     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,  -- the holder's enqueue time + its UniqueTTLMs
    PRIMARY KEY (tier, key)
) WITHOUT ROWID;
INSERT INTO slaq_unique_per_tier (tier, key, job_id, expires_at)
    SELECT tier, key, job_id, expires_at FROM slaq_unique;
DROP TABLE slaq_unique;
ALTER TABLE slaq_unique_per_tier RENAME TO slaq_unique;
CREATE INDEX slaq_unique_expiry ON slaq_unique (tier, expires_at);

-- +goose Down
-- One key across tiers again: where tiers share a key, the holder that expires last keeps it.
CREATE TABLE slaq_unique_global (
    key        TEXT    PRIMARY KEY,
    job_id     TEXT    NOT NULL,
    tier       INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO slaq_unique_global (key, job_id, tier, expires_at)
    SELECT key, job_id, tier, expires_at FROM slaq_unique WHERE true
    ORDER BY expires_at
    ON CONFLICT (key) DO UPDATE SET job_id = excluded.job_id, tier = excluded.tier,
        expires_at = excluded.expires_at;
DROP TABLE slaq_unique;
ALTER TABLE slaq_unique_global RENAME TO slaq_unique;
CREATE INDEX slaq_unique_expiry ON slaq_unique (tier, expires_at);
