package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pressly/goose/v3"
	"github.com/slaqhq/slaq/store"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// VersionTable is the goose table recording which of this store's migrations ran.
const VersionTable = "slaq_store_version"

// migrateTries is how many times Open runs the migrations when another process creates
// the schema at the same moment (the loser sees "table already exists" and tries again).
const migrateTries = 3

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the embedded [store.Store] on one SQLite file. It is safe for concurrent use,
// and several processes may open the same file.
type Store struct {
	opts Options
	w    *sql.DB // the one writer connection
	r    *sql.DB // read connections
	wmu  writeLock
	stmt statements

	queue writeQueue    // write calls waiting for a group
	sync  *walSyncer    // fsyncs the WAL after commits; nil when commits sync themselves
	ckpt  *checkpointer // checkpoints the WAL in the background; nil when SQLite does in commits

	closed    atomic.Bool
	done      chan struct{} // closed by Close: unblocks Wait
	closeOnce sync.Once
	bg        sync.WaitGroup // the external-change check

	signals signals
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store in the SQLite file at path, runs its migrations
// and starts the external-change check. Close releases it.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlitestore: open %q: path must be non-empty without '?'", path)
	}
	if err := migrate(ctx, dsn(path, opts, false)); err != nil {
		return nil, fmt.Errorf("sqlitestore: migrate %s: %w", path, err)
	}
	s := &Store{opts: opts, done: make(chan struct{})}
	s.signals.init()
	if s.w, err = sql.Open("sqlite", dsn(path, opts, false)); err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if s.r, err = sql.Open("sqlite", dsn(path, opts, true)); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(opts.ReadConns)
	s.r.SetMaxIdleConns(opts.ReadConns)
	if err := s.stmt.prepare(ctx, s.w, s.r); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	if opts.Synchronous == DefaultSynchronous {
		if err := s.startWALSync(ctx, path); err != nil {
			s.closeDBs()
			return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
		}
	}
	if err := s.startCheckpointer(ctx, path); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	if opts.ExternalChangeInterval > 0 {
		if err := s.startExternalCheck(ctx); err != nil {
			close(s.done) // stops the checkpointer
			s.bg.Wait()
			s.closeDBs()
			return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
		}
	}
	return s, nil
}

// dsn builds the driver's connection string: WAL, the synchronous level, the busy timeout,
// and BEGIN IMMEDIATE for the writer so a write transaction takes the lock up front. With
// Synchronous "FULL" the writer commits with "NORMAL" and the store fsyncs the WAL itself
// (see walSyncer); if the file cannot run in WAL mode, startWALSync sets FULL instead.
func dsn(path string, opts Options, readOnly bool) string {
	var b strings.Builder
	b.WriteString(path)
	fmt.Fprintf(&b, "?_pragma=busy_timeout(%d)", opts.BusyTimeout.Milliseconds())
	b.WriteString("&_pragma=journal_mode(WAL)")
	level := opts.Synchronous
	if level == DefaultSynchronous && !readOnly {
		level = "NORMAL"
	}
	fmt.Fprintf(&b, "&_pragma=synchronous(%s)", level)
	if readOnly {
		b.WriteString("&_pragma=query_only(1)")
	} else {
		b.WriteString("&_txlock=immediate")
	}
	return b.String()
}

// migrate applies the embedded migrations through a short-lived connection.
func migrate(ctx context.Context, dsn string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys,
		goose.WithTableName(VersionTable), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	for try := 1; ; try++ {
		_, err = p.Up(ctx)
		if err == nil || try == migrateTries || ctx.Err() != nil {
			return err
		}
	}
}

// Close stops the external-change check, unblocks every Wait and closes the file. Calls
// after the first return nil; other methods then fail with an error wrapping store.ErrClosed.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.done)
		s.bg.Wait()
		s.wmu.lock(lowestPriority)
		defer s.wmu.unlock()
		err = s.closeDBs()
	})
	return err
}

// Ping checks that the file answers a read on a read connection, e.g. for health checks.
// It returns an error wrapping store.ErrClosed after Close.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed("ping")
	}
	var n int64
	if err := s.stmt.ping.QueryRowContext(ctx).Scan(&n); err != nil {
		return s.readErr("ping", err)
	}
	return nil
}

// startWALSync sets up the fsync of the WAL after durable commits (see walSyncer). If the
// file is not in WAL mode, or its WAL cannot be opened, the writer connection goes back to
// synchronous FULL: every commit then fsyncs by itself.
func (s *Store) startWALSync(ctx context.Context, path string) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, sqlJournalMode).Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if strings.EqualFold(mode, "wal") {
		// A read opens the WAL file if the connection has not yet.
		var n int64
		if err := s.w.QueryRowContext(ctx, sqlTierCount).Scan(&n); err != nil {
			return fmt.Errorf("read tiers: %w", err)
		}
		ws, err := openWALSyncer(path)
		if err == nil {
			s.sync = ws
			return nil
		}
	}
	if _, err := s.w.ExecContext(ctx, sqlSynchronousFull); err != nil {
		return fmt.Errorf("set synchronous FULL: %w", err)
	}
	return nil
}

// closeDBs closes the prepared statements, both pools, the checkpointer's connection and
// the WAL syncer's file.
func (s *Store) closeDBs() error {
	s.stmt.close()
	err := errors.Join(s.w.Close(), s.r.Close())
	if s.ckpt != nil {
		err = errors.Join(err, s.ckpt.close())
	}
	if s.sync != nil {
		err = errors.Join(err, s.sync.close())
	}
	if err != nil {
		return fmt.Errorf("sqlitestore: close: %w", err)
	}
	return nil
}

// errClosed is the error of a call made after Close.
func errClosed(op string) error { return fmt.Errorf("sqlitestore: %s: %w", op, store.ErrClosed) }
