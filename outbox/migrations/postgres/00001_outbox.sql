-- The outbox: jobs enqueued inside the application's transactions (EnqueueTx), waiting for a
-- forwarder to move them into the store. A row exists for slaq once its transaction commits.
-- seq orders the rows; job is the job record as JSON without its payload, payload the payload.

-- +goose Up
CREATE TABLE slaq_outbox (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id  TEXT   NOT NULL,
    job     BYTEA  NOT NULL,
    payload BYTEA  NOT NULL
);

-- +goose StatementBegin
-- Wakes the forwarders listening on this schema's channel when an inserting transaction
-- commits (PostgreSQL delivers NOTIFY at commit, once per transaction and channel). The
-- channel name is a hash of the schema, so that it stays within 63 bytes.
CREATE FUNCTION slaq_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('slaq_outbox_' || left(md5(TG_TABLE_SCHEMA), 16), '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER slaq_outbox_notify AFTER INSERT ON slaq_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION slaq_outbox_notify();

-- +goose Down
DROP TRIGGER slaq_outbox_notify ON slaq_outbox;
DROP FUNCTION slaq_outbox_notify();
DROP TABLE slaq_outbox;
