// Package ledger is the fintech service's SQL ledger: users, transactions, wallet balances,
// one-time codes, processed webhooks and log rows, in SQLite (a local file, the default) or
// PostgreSQL (when the DSN is a postgres URL). Every query is written once with ? placeholders
// and rebound for PostgreSQL.
//
// Money is kept in minor units (cents) as integers; a wallet's balance is never updated in
// place by a payment, it is recomputed from the completed transactions (RecomputeBalance), so
// a payment that completes twice cannot exist (status changes are guarded by the current
// status) and a balance can always be rebuilt.
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver
)

// ErrNotFound is returned when a user or transaction does not exist.
var ErrNotFound = errors.New("not found")

// DefaultBusyTimeout is how long a SQLite connection waits for the file's write lock: 5 s.
const DefaultBusyTimeout = 5 * time.Second

// DefaultPostgresConns is how many connections a PostgreSQL ledger keeps at most: 16.
const DefaultPostgresConns = 16

// DefaultReadConns is how many reader connections a SQLite ledger keeps: 4.
const DefaultReadConns = 4

// DB is the ledger. It is safe for concurrent use.
type DB struct {
	w  *sql.DB // writes (and the slaq outbox); one connection on SQLite, so writers queue in-process
	r  *sql.DB // reads; the same pool as w on PostgreSQL
	pg bool
	// Now tells the time; default time.Now. Tests set it before use.
	Now func() time.Time
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// DefaultSynchronous is a SQLite ledger's synchronous setting: FULL, every commit fsynced
// before it returns, so an acknowledged payment survives a power cut.
const DefaultSynchronous = "FULL"

// Options configure a ledger; the zero value is the default.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: "FULL" (DefaultSynchronous), "EXTRA", or
	// "NORMAL" (commits survive a crash of the process, not a power cut; a payment row and
	// its job are still committed together). Ignored on PostgreSQL.
	Synchronous string
}

// Open opens (and creates the tables of) the ledger at dsn: a postgres:// URL or a SQLite
// file path.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	d := &DB{pg: IsPostgres(dsn), Now: time.Now}
	if d.pg {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("ledger: open postgres: %w", err)
		}
		// A bounded pool: a burst of requests waits for a connection rather than dialling
		// one each.
		db.SetMaxOpenConns(DefaultPostgresConns)
		db.SetMaxIdleConns(DefaultPostgresConns)
		d.w, d.r = db, db
	} else {
		sync := opts.Synchronous
		switch sync {
		case "":
			sync = DefaultSynchronous
		case "FULL", "NORMAL", "EXTRA":
		default:
			return nil, fmt.Errorf("ledger: synchronous %q: want FULL, NORMAL or EXTRA", sync)
		}
		base := "file:" + dsn + "?_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")" +
			"&_pragma=foreign_keys(ON)&_pragma=busy_timeout(" + strconv.FormatInt(DefaultBusyTimeout.Milliseconds(), 10) + ")"
		w, err := sql.Open("sqlite", base)
		if err != nil {
			return nil, fmt.Errorf("ledger: open %s: %w", dsn, err)
		}
		w.SetMaxOpenConns(1) // one writer: in-process writers wait in the pool, not in SQLite's busy loop
		d.w = w
		if err := d.migrate(ctx); err != nil { // the writer creates the file and its WAL first
			_ = w.Close()
			return nil, err
		}
		r, err := sql.Open("sqlite", base+"&_pragma=query_only(ON)")
		if err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("ledger: open %s: %w", dsn, err)
		}
		r.SetMaxOpenConns(DefaultReadConns)
		r.SetMaxIdleConns(DefaultReadConns)
		d.r = r
		return d, nil
	}
	if err := d.migrate(ctx); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// Writer is the database that writes go to; give it to outbox.New so that EnqueueTx runs in
// the ledger's transactions.
func (d *DB) Writer() *sql.DB { return d.w }

// Postgres reports whether the ledger is on PostgreSQL.
func (d *DB) Postgres() bool { return d.pg }

// Close closes the ledger's connections.
func (d *DB) Close() error {
	err := d.w.Close()
	if d.r != d.w {
		err = errors.Join(err, d.r.Close())
	}
	return err
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.r.PingContext(ctx) }

func (d *DB) now() int64 { return d.Now().UnixMilli() }

// q rebinds a query written with ? placeholders for the ledger's database.
func (d *DB) q(s string) string {
	if !d.pg {
		return s
	}
	var b strings.Builder
	n := 0
	for _, c := range s {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// inTx runs f in a write transaction and commits it when f returns nil.
func (d *DB) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: commit: %w", err)
	}
	return nil
}
