-- Rows of the outbox whose job record does not decode to a valid job (not JSON, or an empty
-- id or type, an invalid tier, a tier its id does not name). A forwarder sets each one aside
-- here, in the transaction that removes its batch from slaq_outbox, so that the jobs behind
-- it keep moving. An operator inspects them, then re-inserts a fixed record into slaq_outbox
-- or deletes them (see the outbox package documentation). id orders the rejections; seq,
-- job_id, job and payload are the outbox row's; reason says what is wrong with its record;
-- rejected_at is when it was set aside, in ms since the Unix epoch.

-- +goose Up
CREATE TABLE slaq_outbox_rejected (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq         BIGINT NOT NULL,
    job_id      TEXT   NOT NULL,
    job         BYTEA  NOT NULL,
    payload     BYTEA  NOT NULL,
    reason      TEXT   NOT NULL,
    rejected_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE slaq_outbox_rejected;
