-- seq never names two rows: without AUTOINCREMENT, SQLite gives a row inserted into an
-- emptied outbox the seq of one just deleted, and a forwarder that read the old row (and
-- deletes every row up to the last seq it read) would then delete the new one unforwarded.
-- The table is rebuilt with its rows, in the migration's transaction.

-- +goose Up
CREATE TABLE slaq_outbox_new (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id  TEXT    NOT NULL,
    job     BLOB    NOT NULL,
    payload BLOB    NOT NULL
);
INSERT INTO slaq_outbox_new (seq, job_id, job, payload) SELECT seq, job_id, job, payload FROM slaq_outbox;
DROP TABLE slaq_outbox;
ALTER TABLE slaq_outbox_new RENAME TO slaq_outbox;

-- +goose Down
CREATE TABLE slaq_outbox_old (
    seq     INTEGER PRIMARY KEY,
    job_id  TEXT    NOT NULL,
    job     BLOB    NOT NULL,
    payload BLOB    NOT NULL
);
INSERT INTO slaq_outbox_old (seq, job_id, job, payload) SELECT seq, job_id, job, payload FROM slaq_outbox;
DROP TABLE slaq_outbox;
ALTER TABLE slaq_outbox_old RENAME TO slaq_outbox;
