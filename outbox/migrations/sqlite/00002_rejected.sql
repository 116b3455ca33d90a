-- Rows of the outbox (or the spool) whose job record does not decode to a valid job (not
-- JSON, or an empty id or type, an invalid tier, a tier its id does not name). A forwarder
-- sets each one aside here, in the transaction that removes its batch from slaq_outbox, so
-- that the jobs behind it keep moving. An operator inspects them, then re-inserts a fixed
-- record into slaq_outbox or deletes them (see the outbox package documentation). id orders
-- the rejections (before migration 00003, SQLite reused the seq of an emptied outbox);
-- seq, job_id, job and payload are the outbox row's; reason says what is wrong with its
-- record; rejected_at is when it was set aside, in ms since the Unix epoch.

-- +goose Up
CREATE TABLE slaq_outbox_rejected (
    id          INTEGER PRIMARY KEY,
    seq         INTEGER NOT NULL,
    job_id      TEXT    NOT NULL,
    job         BLOB    NOT NULL,
    payload     BLOB    NOT NULL,
    reason      TEXT    NOT NULL,
    rejected_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE slaq_outbox_rejected;
