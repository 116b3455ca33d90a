-- The outbox (or the spool, in a local file): jobs waiting for a forwarder to move them into
-- the store. seq orders the rows; job is the job record as JSON without its payload.

-- +goose Up
CREATE TABLE slaq_outbox (
    seq     INTEGER PRIMARY KEY,
    job_id  TEXT    NOT NULL,
    job     BLOB    NOT NULL,
    payload BLOB    NOT NULL
);

-- +goose Down
DROP TABLE slaq_outbox;
