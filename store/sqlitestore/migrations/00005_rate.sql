-- Rate limits per (tier, job type) and their GCRA state, shared by every process on the file.

-- +goose Up
CREATE TABLE slaq_rate (
    tier      INTEGER NOT NULL,
    type      TEXT    NOT NULL,
    rate      INTEGER NOT NULL,            -- starts per period
    period_ms INTEGER NOT NULL,
    burst     INTEGER NOT NULL DEFAULT 0,
    tat       REAL    NOT NULL DEFAULT 0,  -- GCRA theoretical arrival time (ms)
    PRIMARY KEY (tier, type)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE slaq_rate;
