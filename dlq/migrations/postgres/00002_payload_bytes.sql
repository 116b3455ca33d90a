-- payload_bytes keeps, byte for byte, a payload that a text column cannot hold (JSON whose
-- strings are not valid UTF-8); payload then holds a readable copy with the invalid bytes as
-- U+FFFD. NULL (every other row) means payload is the payload exactly.

-- +goose Up
ALTER TABLE failed_jobs ADD COLUMN payload_bytes BYTEA;

-- +goose Down
ALTER TABLE failed_jobs DROP COLUMN payload_bytes;
