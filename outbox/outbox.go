package outbox

import (
	"cmp"
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
)

// Table is the outbox table's name, in the schema the database's search_path names first.
const Table = "slaq_outbox"

// MigrationsTable is goose's version table for the outbox's migrations.
const MigrationsTable = "slaq_outbox_migrations"

// DefaultSpoolLimit is the most jobs a spool opened with [OpenSpool] holds when
// Options.Limit is 0: 100,000.
const DefaultSpoolLimit = 100_000

// ErrFull is wrapped by [Outbox.Add] when the outbox already holds its Options.Limit jobs.
var ErrFull = errors.New("outbox is full")

// Dialect is the kind of database an outbox lives in.
type Dialect uint8

// The supported databases.
const (
	Postgres Dialect = iota + 1 // PostgreSQL through github.com/jackc/pgx/v5/stdlib
	SQLite                      // SQLite through modernc.org/sqlite
)

// String returns "postgres" or "sqlite", also the folder of the dialect's migrations.
func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Options configure an [Outbox]. The zero value is usable.
type Options struct {
	// Migrate applies the outbox's pending migrations when the outbox is made. Default false:
	// run [Migrate] or `slaq migrate` in a deployment step of its own. OpenSpool always
	// migrates.
	Migrate bool
	// Limit is the most jobs [Outbox.Add] lets the outbox hold; beyond it Add fails with
	// ErrFull. Default 0: no limit for New, DefaultSpoolLimit for OpenSpool; -1: no limit.
	// Insert (EnqueueTx) is never limited: the caller's transaction decides.
	Limit int
	// CommitWaiters is how many connections of its own a PostgreSQL outbox opens, while a
	// forwarder in this process listens ([Outbox.Listen]), to learn when the transactions
	// that inserted through it end, so that their inserts need no NOTIFY (see the package
	// documentation). Default 0: DefaultCommitWaiters; -1: none, every insert NOTIFYs.
	// Ignored on SQLite.
	CommitWaiters int
	// CommitWaitSlice is the longest a commit waiter waits on one group of transactions
	// before it turns to the next. Default DefaultCommitWaitSlice.
	CommitWaitSlice time.Duration
	// CommitGather is how long a commit waiter lets a new group of transactions gather
	// before it asks for the group's lock. Default 0: DefaultCommitGather; negative: none.
	CommitGather time.Duration
	// CommitWarm is how long after a group of transactions opens a commit waiter keeps
	// looking for the next group by itself (every CommitGather), so that inserts wake no
	// goroutine. Default 0: DefaultCommitWarm; negative: none (every group's first insert
	// arms the waiter's timer).
	CommitWarm time.Duration
}

// Outbox is an outbox table in one database. It is safe for concurrent use.
type Outbox struct {
	db      *sql.DB
	dialect Dialect
	owned   bool   // db was opened by OpenSpool and is closed by Close
	channel string // PostgreSQL: the NOTIFY channel of the table's schema
	limit   int
	wake    chan struct{} // in-process wake-ups for the forwarder (capacity 1)
	watch   *watch        // PostgreSQL: the commit watch, nil when Options.CommitWaiters is -1
	// insertOne is the text of a one-job INSERT per insertMode, made once.
	insertOne [announceNotify + 1]string
	spooled   atomic.Int64 // rows added by Add, less rows forwarded (for Pending)
}

// New returns the outbox in db, whose driver must be pgx's stdlib ("pgx") or modernc's
// ("sqlite"). The caller keeps owning db. On PostgreSQL the table is the one the
// connections' search_path finds first.
func New(ctx context.Context, db *sql.DB, opts Options) (*Outbox, error) {
	d, err := dialectOf(db)
	if err != nil {
		return nil, err
	}
	if opts.CommitWaiters < -1 || opts.CommitWaitSlice < 0 {
		return nil, fmt.Errorf("outbox: CommitWaiters %d and CommitWaitSlice %v: want -1 or more, and a positive slice or 0 for the default",
			opts.CommitWaiters, opts.CommitWaitSlice)
	}
	o := &Outbox{db: db, dialect: d, limit: opts.Limit, wake: make(chan struct{}, 1)}
	if opts.Migrate {
		if err := Migrate(ctx, db); err != nil {
			return nil, err
		}
	}
	if d == Postgres {
		if opts.CommitWaiters >= 0 {
			o.watch = newWatch(cmp.Or(opts.CommitWaiters, DefaultCommitWaiters), cmp.Or(opts.CommitWaitSlice, DefaultCommitWaitSlice),
				cmp.Or(opts.CommitGather, DefaultCommitGather), cmp.Or(opts.CommitWarm, DefaultCommitWarm))
		}
		var schema string
		err := db.QueryRowContext(ctx, `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.oid = to_regclass('`+Table+`')`).Scan(&schema)
		if err != nil {
			return nil, fmt.Errorf("outbox: find table %s (run the migrations first): %w", Table, err)
		}
		sum := md5.Sum([]byte(schema))
		o.channel = "slaq_outbox_" + hex.EncodeToString(sum[:])[:16]
	}
	for m := range o.insertOne {
		o.insertOne[m] = o.insertSQL(1, insertMode(m))
	}
	return o, nil
}

// OpenSpool opens (creating it if needed) an outbox in a local SQLite file at path, migrated,
// for use as a spool; Close closes the file. Pending counts its rows from the start.
func OpenSpool(ctx context.Context, path string, opts Options) (*Outbox, error) {
	if path == "" || strings.Contains(path, ":memory:") {
		return nil, fmt.Errorf("outbox: spool path %q: want a file", path)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, fmt.Errorf("outbox: open spool %s: %w", path, err)
	}
	opts.Migrate = true
	if opts.Limit == 0 {
		opts.Limit = DefaultSpoolLimit
	}
	o, err := New(ctx, db, opts)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox: open spool %s: %w", path, err)
	}
	o.owned = true
	n, err := o.Len(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox: open spool %s: %w", path, err)
	}
	o.spooled.Store(int64(n))
	return o, nil
}

// Dialect returns the kind of database the outbox lives in.
func (o *Outbox) Dialect() Dialect { return o.dialect }

// DB returns the database the outbox lives in.
func (o *Outbox) DB() *sql.DB { return o.db }

// Close closes the database if OpenSpool opened it; else it does nothing.
func (o *Outbox) Close() error {
	if o.owned {
		return o.db.Close()
	}
	return nil
}

// Len returns how many jobs the outbox holds (committed and not yet forwarded).
func (o *Outbox) Len(ctx context.Context) (int, error) {
	var n int
	if err := o.db.QueryRowContext(ctx, "SELECT count(*) FROM "+Table).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox: count: %w", err)
	}
	return n, nil
}

// Pending returns how many jobs [Outbox.Add] put into the outbox, in this process and (for a
// spool) those found at open, that no forwarder in this process has moved yet. It costs no
// database call.
func (o *Outbox) Pending() int64 { return max(o.spooled.Load(), 0) }

// Wake returns the channel on which the outbox signals a forwarder that jobs were added in
// this process, or (through Listen) committed anywhere.
func (o *Outbox) Wake() <-chan struct{} { return o.wake }

func (o *Outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func dialectOf(db *sql.DB) (Dialect, error) {
	if db == nil {
		return 0, errors.New("outbox: nil database")
	}
	switch db.Driver().(type) {
	case *stdlib.Driver:
		return Postgres, nil
	case *sqlite.Driver:
		return SQLite, nil
	}
	return 0, fmt.Errorf("outbox: unsupported database driver %T: want github.com/jackc/pgx/v5/stdlib or modernc.org/sqlite", db.Driver())
}
