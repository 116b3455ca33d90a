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

	// DefaultConnectTimeout bounds each attempt to connect to PostgreSQL: 5 s. A DSN that sets
	// connect_timeout keeps its own value.
	DefaultConnectTimeout = 5 * time.Second

	// DefaultMaxOpenConns caps the connections one DB holds open: 4. Dead-lettering is rare
	// and operator queries are few, so the queue never needs more.
	DefaultMaxOpenConns = 4

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
	sql     *sql.DB
	backend backend
	where   string // the database, for error messages (no password)
}

// Open connects to the dead-letter queue named by dsn, applies any pending migrations and
// returns it. A "postgres://" or "postgresql://" URL opens PostgreSQL (connect_timeout
// defaults to [DefaultConnectTimeout]); "sqlite://PATH", an SQLite URI "file:PATH?..." or a
// plain PATH opens that SQLite file, creating it if it does not exist (its directory must).
// ctx bounds the connection check and the migrations. The caller must Close the DB.
func Open(ctx context.Context, dsn string) (*DB, error) {
	b, driverDSN, err := parseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("dlq: open: %w", err)
	}
	db := &DB{backend: b}
	switch b {
	case postgresBackend:
		cfg, err := pgx.ParseConfig(driverDSN)
		if err != nil {
			return nil, fmt.Errorf("dlq: open postgres: %w", err)
		}
		if cfg.ConnectTimeout == 0 {
			cfg.ConnectTimeout = DefaultConnectTimeout
		}
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
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("dlq: connect to %s: %w", db.where, err)
	}
	if err := migrate(ctx, db.sql, b); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("dlq: migrate %s: %w", db.where, err)
	}
	return db, nil
}

// Ping checks that the database is reachable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("dlq: ping %s: %w", db.where, err)
	}
	return nil
}

// Close closes the database's connections. Calls after Close fail.
func (db *DB) Close() error {
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("dlq: close %s: %w", db.where, err)
	}
	return nil
}
