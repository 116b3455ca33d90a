package dlq

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/slaqhq/slaq/store"
)

// Defaults of the dead-letter queue's connections and queries.
const (
	// DefaultBusyTimeout is how long an SQLite statement waits for another connection's lock
	// (another process, or a concurrent write) before it fails: 5 s. A DSN that sets
	// busy_timeout itself keeps its own value.
	DefaultBusyTimeout = 5 * time.Second

	// DefaultConnectTimeout bounds each attempt to connect to PostgreSQL: 5 s, or the query
	// timeout when that is shorter. A DSN that sets connect_timeout keeps its own value.
	DefaultConnectTimeout = 5 * time.Second

	// DefaultMaxOpenConns caps the connections one DB holds open, and keeps as many idle: 4.
	// Dead-lettering is rare and operator queries are few, so the queue never needs more.
	DefaultMaxOpenConns = 4

	// DefaultQueryTimeout bounds the database work of one method call, on top of the
	// caller's ctx: 5 s. See [Options.QueryTimeout].
	DefaultQueryTimeout = 5 * time.Second

	// MigrationsTable is the table in which goose records the applied migrations of the
	// dead-letter queue: "slaq_dlq_migrations", apart from any other goose user's table.
	MigrationsTable = "slaq_dlq_migrations"
)

// ErrNotFound is returned (wrapped) by [DB.Get] when no entry holds the job id. It is the same
// sentinel as [store.ErrNotFound], so one errors.Is check covers a job missing from either.
var ErrNotFound = store.ErrNotFound

// DB is a dead-letter queue in an SQLite file or a PostgreSQL database. It is safe for
// concurrent use by many goroutines, and by many processes sharing the database.
type DB struct {
	sql          *sql.DB
	backend      backend
	where        string        // the database, for error messages (no password)
	queryTimeout time.Duration // Options.QueryTimeout, defaulted
}

// Options tune a DB opened with [OpenWith]. The zero Options gives every default.
type Options struct {
	// QueryTimeout bounds the database work of each method call on top of the caller's ctx:
	// a call that gets no answer in time (a server or network path gone silent, a lock held
	// too long) fails with an error wrapping context.DeadlineExceeded. It covers one call's
	// statements, or transaction, as a whole, except that each row [DB.Add] stores one by one
	// and each chunk [DB.Purge] deletes gets its own. Migrations in Open are bounded by Open's
	// ctx alone. 0 (the default) means [DefaultQueryTimeout]; a negative value is an error.
	QueryTimeout time.Duration
}

// Open is [OpenWith] with the default Options.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith connects to the dead-letter queue named by dsn, applies any pending migrations and
// returns it. A "postgres://" or "postgresql://" URL opens PostgreSQL (connect_timeout
// defaults to [DefaultConnectTimeout], or the query timeout when that is shorter; TCP
// keepalives are on); "sqlite://PATH", an SQLite URI "file:PATH?..." or a plain PATH opens
// that SQLite file, creating it if it does not exist (its directory must). ctx bounds the
// connection check, which opts.QueryTimeout bounds too, and the migrations. The caller must
// Close the DB.
func OpenWith(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.QueryTimeout < 0 {
		return nil, fmt.Errorf("dlq: open: negative QueryTimeout %v", opts.QueryTimeout)
	}
	if opts.QueryTimeout == 0 {
		opts.QueryTimeout = DefaultQueryTimeout
	}
	b, driverDSN, err := parseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("dlq: open: %w", err)
	}
	db := &DB{backend: b, queryTimeout: opts.QueryTimeout}
	switch b {
	case postgresBackend:
		cfg, err := pgx.ParseConfig(driverDSN)
		if err != nil {
			return nil, fmt.Errorf("dlq: open postgres: %w", err)
		}
		if cfg.ConnectTimeout == 0 {
			// database/sql dials some connections in the background, bounded by this alone:
			// one that outlasts the query timeout would hold a pool slot no call can use.
			cfg.ConnectTimeout = min(DefaultConnectTimeout, opts.QueryTimeout)
		}
		cfg.DialFunc = keepAliveDialer.DialContext
		db.where = fmt.Sprintf("postgres %s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
		db.sql = stdlib.OpenDB(*cfg)
	default:
		path, _, _ := strings.Cut(driverDSN, "?")
		db.where = "sqlite " + path
		if db.sql, err = sql.Open("sqlite", driverDSN); err != nil {
			return nil, fmt.Errorf("dlq: open %s: %w", db.where, err)
		}
	}
	db.sql.SetMaxOpenConns(DefaultMaxOpenConns)
	db.sql.SetMaxIdleConns(DefaultMaxOpenConns)
	if err := db.ping(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("dlq: connect to %s: %w", db.where, err)
	}
	if err := migrateDB(ctx, db.sql, b); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("dlq: migrate %s: %w", db.where, err)
	}
	return db, nil
}

// Ping checks that the database answers, within the query timeout, e.g. for readiness checks.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.ping(ctx); err != nil {
		return fmt.Errorf("dlq: ping %s: %w", db.where, err)
	}
	return nil
}

// ping runs one round trip to the database, bounded by the query timeout.
func (db *DB) ping(ctx context.Context) error {
	qctx, cancel := db.bound(ctx)
	defer cancel()
	return db.failed(ctx, qctx, db.sql.PingContext(qctx))
}

// Close closes the database's connections. Calls after Close fail.
func (db *DB) Close() error {
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("dlq: close %s: %w", db.where, err)
	}
	return nil
}
