package ledger

import (
	"context"
	"fmt"
	"strings"
)

// The tables, one statement each; {id} is the dialect's auto-increment key.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS users (
		id {id}, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',
		role TEXT NOT NULL DEFAULT 'user', newsletter BOOLEAN NOT NULL DEFAULT TRUE, created_at BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS transactions (
		id TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id), kind TEXT NOT NULL,
		amount_minor BIGINT NOT NULL CHECK (amount_minor > 0), currency TEXT NOT NULL, method TEXT NOT NULL,
		status TEXT NOT NULL, provider TEXT, provider_payment_id TEXT, error TEXT NOT NULL DEFAULT '',
		created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
		UNIQUE (provider, provider_payment_id))`,
	`CREATE INDEX IF NOT EXISTS transactions_user ON transactions (user_id, created_at)`,
	`CREATE INDEX IF NOT EXISTS transactions_created ON transactions (created_at)`,
	`CREATE TABLE IF NOT EXISTS wallets (
		user_id BIGINT NOT NULL REFERENCES users(id), currency TEXT NOT NULL, balance_minor BIGINT NOT NULL,
		synced_at BIGINT NOT NULL, PRIMARY KEY (user_id, currency))`,
	`CREATE TABLE IF NOT EXISTS webhook_events (
		provider TEXT NOT NULL, payment_id TEXT NOT NULL, status TEXT NOT NULL, order_id TEXT NOT NULL,
		received_at BIGINT NOT NULL, PRIMARY KEY (provider, payment_id, status))`,
	`CREATE TABLE IF NOT EXISTS auth_codes (
		id {id}, email TEXT NOT NULL, kind TEXT NOT NULL, code_hash TEXT NOT NULL,
		expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS auth_codes_email ON auth_codes (email, kind)`,
	`CREATE TABLE IF NOT EXISTS logs (
		id {id}, level TEXT NOT NULL, message TEXT NOT NULL, created_at BIGINT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS logs_created ON logs (created_at)`,
}

func (d *DB) migrate(ctx context.Context) error {
	id := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if d.pg {
		id = "BIGSERIAL PRIMARY KEY"
	}
	for _, s := range schema {
		if _, err := d.w.ExecContext(ctx, strings.ReplaceAll(s, "{id}", id)); err != nil {
			return fmt.Errorf("ledger: create tables: %w", err)
		}
	}
	return nil
}
