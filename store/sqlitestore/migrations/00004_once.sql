-- Once slots: a key is held until expires_at (the winning claim's now + its ttl).

-- +goose Up
CREATE TABLE slaq_once (
    key        TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE slaq_once;
