package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/redisstore"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// Backend is the store and the dead-letter queue a configuration names, opened.
type Backend struct {
	Store       store.Store
	DeadLetters *dlq.DB
	StoreDesc   string // where jobs live, for people: "embedded ./slaq-data/slaq.db" or "redis 127.0.0.1:6379 (prefix slaq)"
	DLQDesc     string // where dead letters live: "sqlite …" or "postgres host:port/db"
	// Spool is the local spool (config `spool:` or a spool policy), nil without one.
	Spool     *outbox.Outbox
	SpoolDesc string
	// Outbox is the application outbox the server forwards (config `outbox:`), nil without one.
	Outbox     *outbox.Outbox
	OutboxDesc string
	outboxDB   *sql.DB
}

// Open opens (creating the data directory if needed) the store and the dead-letter queue of
// c, a resolved configuration, and applies their migrations.
func Open(ctx context.Context, c *Config) (*Backend, error) {
	b := &Backend{}
	needDir := c.Store == StoreEmbedded || !isPostgres(c.DatabaseURL)
	if needDir {
		if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	switch c.Store {
	case StoreRedis:
		opts, err := redisstore.ParseURL(c.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		if c.RedisPrefix != "" {
			opts.Prefix = c.RedisPrefix
		}
		st, err := redisstore.New(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("open redis store at %s: %w", redactURL(c.RedisURL), err)
		}
		b.Store, b.StoreDesc = st, "redis "+strings.Join(opts.Addrs, ",")+" (prefix "+st.Prefix()+")"
	default:
		st, err := sqlitestore.Open(ctx, c.StorePath(), sqlitestore.Options{})
		if err != nil {
			return nil, fmt.Errorf("open embedded store: %w", err)
		}
		b.Store, b.StoreDesc = st, "embedded "+absPath(c.StorePath())
	}
	dead, err := dlq.Open(ctx, c.DatabaseURL)
	if err != nil {
		b.Store.Close()
		return nil, fmt.Errorf("open dead-letter queue: %w", err)
	}
	b.DeadLetters = dead
	b.DLQDesc = "sqlite " + absPath(c.DatabaseURL)
	if isPostgres(c.DatabaseURL) {
		b.DLQDesc = "postgres " + redactURL(c.DatabaseURL)
	}
	if err := openDurable(ctx, c, b); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Close closes the spool, the outbox's database, the dead-letter queue and the store.
func (b *Backend) Close() error {
	var errs []error
	if b.Spool != nil {
		errs = append(errs, b.Spool.Close())
	}
	if b.outboxDB != nil {
		errs = append(errs, b.outboxDB.Close())
	}
	if b.DeadLetters != nil {
		errs = append(errs, b.DeadLetters.Close())
	}
	return errors.Join(append(errs, b.Store.Close())...)
}

func isPostgres(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// redactURL drops the password from a URL, for messages; a URL that does not parse is not
// shown at all.
func redactURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "(a URL that does not parse)"
	case u.User == nil:
		return s
	}
	return u.Redacted()
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
