-- Inserts announce themselves (a NOTIFY or a commit-watch lock in the INSERT statement itself,
-- chosen per insert by the outbox), so the trigger that NOTIFYed on every inserting statement
-- goes: it cost the application's transaction more than the INSERT did.

-- +goose Up
DROP TRIGGER slaq_outbox_notify ON slaq_outbox;
DROP FUNCTION slaq_outbox_notify();

-- +goose Down
-- +goose StatementBegin
CREATE FUNCTION slaq_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('slaq_outbox_' || left(md5(TG_TABLE_SCHEMA), 16), '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER slaq_outbox_notify AFTER INSERT ON slaq_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION slaq_outbox_notify();
