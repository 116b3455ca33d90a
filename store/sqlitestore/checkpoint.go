package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// Checkpoints: SQLite's WAL grows with every commit until a checkpoint copies it back into
// the database file, after which the next write transaction starts the WAL over. By default
// SQLite runs that checkpoint inside the commit that takes the WAL past 1,000 pages, on the
// committing connection: here the writer, under the writer lock, so the one commit that
// crosses the mark takes milliseconds (the copy and an fsync of the database file) and every
// write queued behind it, CRITICAL ones included, waits. The store therefore turns that off
// on the writer (PRAGMA wal_autocheckpoint = 0) and checkpoints on a connection of its own,
// in the background, without the writer lock: a PASSIVE checkpoint copies the frames no
// reader needs while writers go on appending to the WAL.
//
// The checkpointer learns the WAL's size from the wal-index header in the "-shm" file
// (https://www.sqlite.org/walformat.html, "The WAL-Index Header"): mxFrame, the frames in
// the WAL, and nBackfill, the frames already copied into the database. The writer pokes it
// after each commit; it reads those two numbers (one pread) and checkpoints once
// mxFrame - nBackfill reaches Options.CheckpointPages.
//
// A PASSIVE checkpoint that runs while commits land copies only the frames committed before
// it began, and the WAL starts over only after a checkpoint has copied all of it, so under a
// steady stream of commits the WAL can keep growing. Once it holds Options.WALRestartPages
// frames or more, the checkpointer waits for the store to be idle (no commit for
// checkpointIdle) and then runs a TRUNCATE checkpoint, which waits for the writer, copies
// what is left, and empties the WAL file.
const (
	// checkpointIdle is how long the store must go without a commit before the checkpointer
	// truncates a WAL larger than Options.WALRestartPages.
	checkpointIdle = 100 * time.Millisecond
	// checkpointCatchUp is how many PASSIVE checkpoints the checkpointer runs in a row while
	// each leaves frames that commits added during the one before, so that one of them
	// finds the WAL wholly copied and the next write starts it over.
	checkpointCatchUp = 8
)

// The checkpointer's statements.
const (
	sqlAutocheckpointOff = `PRAGMA wal_autocheckpoint = 0`
	sqlCheckpointPassive = `PRAGMA wal_checkpoint(PASSIVE)`
	sqlCheckpointTrunc   = `PRAGMA wal_checkpoint(TRUNCATE)`
)

// Offsets in the wal-index ("-shm") file, in the machine's byte order.
const (
	shmHeaderLen   = 136 // the two copies of the header and the checkpoint info
	shmVersionOff  = 0   // iVersion of the first header copy
	shmIsInitOff   = 12  // isInit
	shmMxFrameOff  = 16  // mxFrame: valid frames in the WAL
	shmBackfillOff = 96  // nBackfill: frames copied into the database
	shmVersion     = 3007000
)

// checkpointer copies the WAL into the database file in the background (see above).
type checkpointer struct {
	db       *sql.DB  // its own connection to the file
	shm      *os.File // the wal-index, read for the WAL's size
	pages    int      // Options.CheckpointPages
	restart  int      // Options.WALRestartPages
	kick     chan struct{}
	commits  atomic.Uint64 // commits through the writer so far
	restarts atomic.Uint64 // TRUNCATE checkpoints that emptied the WAL, for tests
	ran      chan struct{} // signalled after each round of checkpoints, for tests
	stopped  chan struct{} // closed when the goroutine has returned
}

// startCheckpointer turns off SQLite's automatic checkpoint on the writer connection and
// starts the background checkpointer on a connection of its own. It does nothing (SQLite
// keeps checkpointing in the commits) if Options.CheckpointPages is negative or the file is
// not in WAL mode.
func (s *Store) startCheckpointer(ctx context.Context, path string) error {
	if s.opts.CheckpointPages < 0 {
		return nil
	}
	var mode string
	if err := s.w.QueryRowContext(ctx, sqlJournalMode).Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if mode != "wal" {
		return nil
	}
	// A read opens the WAL and the wal-index if the connection has not yet.
	var n int64
	if err := s.w.QueryRowContext(ctx, sqlTierCount).Scan(&n); err != nil {
		return fmt.Errorf("read tiers: %w", err)
	}
	shm, err := os.Open(path + "-shm")
	if err != nil {
		return nil // no wal-index file to read (e.g. exclusive locking): keep SQLite's checkpoints
	}
	c := &checkpointer{shm: shm, pages: s.opts.CheckpointPages, restart: s.opts.WALRestartPages,
		kick: make(chan struct{}, 1), ran: make(chan struct{}, 1), stopped: make(chan struct{})}
	if _, _, err := c.walFrames(); err != nil {
		shm.Close()
		return nil
	}
	if c.db, err = sql.Open("sqlite", dsn(path, s.opts, false)); err != nil {
		shm.Close()
		return err
	}
	c.db.SetMaxOpenConns(1)
	c.db.SetMaxIdleConns(1)
	c.db.SetConnMaxLifetime(0)
	c.db.SetConnMaxIdleTime(0)
	if _, err := c.db.ExecContext(ctx, sqlAutocheckpointOff); err != nil {
		c.close()
		return fmt.Errorf("checkpointer: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, sqlAutocheckpointOff); err != nil {
		c.close()
		return fmt.Errorf("turn off automatic checkpoints: %w", err)
	}
	s.ckpt = c
	s.bg.Go(func() { s.runCheckpointer(c) })
	return nil
}

// committed records a commit through the writer and pokes the checkpointer. The writer
// calls it after each commit, under the writer lock; it never blocks.
func (c *checkpointer) committed() {
	c.commits.Add(1)
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// runCheckpointer is the checkpointer's goroutine; it returns when the store closes.
func (s *Store) runCheckpointer(c *checkpointer) {
	defer close(c.stopped)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel() // interrupts a checkpoint in progress
		case <-ctx.Done():
		}
	}()
	var idle *time.Timer // runs while a WAL past the restart mark waits for a pause
	var idleC <-chan time.Time
	var idleFrom uint64 // commits when the idle timer started
	for {
		select {
		case <-s.done:
			if idle != nil {
				idle.Stop()
			}
			return
		case <-c.kick:
		case <-idleC:
			idleC = nil
			if c.commits.Load() == idleFrom {
				c.truncate(ctx)
				c.signal()
			}
		}
		frames, backfilled, err := c.walFrames()
		if err != nil {
			continue
		}
		if frames-backfilled >= c.pages {
			c.catchUp(ctx)
			c.signal()
			if frames, _, err = c.walFrames(); err != nil {
				continue
			}
		}
		if c.restart > 0 && frames >= c.restart && idleC == nil {
			idleFrom = c.commits.Load()
			if idle == nil {
				idle = time.NewTimer(checkpointIdle)
			} else {
				idle.Reset(checkpointIdle)
			}
			idleC = idle.C
		} else if idleC != nil && c.commits.Load() != idleFrom {
			// Not idle yet: start the pause over from this commit.
			idleFrom = c.commits.Load()
			idle.Reset(checkpointIdle)
		}
	}
}

// catchUp runs PASSIVE checkpoints until the WAL is wholly copied into the database, at
// most checkpointCatchUp of them: each copies the frames committed before it began, so the
// first copies the most and those after it the few commits made meanwhile. Once the whole
// WAL is copied, the next write transaction starts it over from the beginning.
func (c *checkpointer) catchUp(ctx context.Context) {
	for range checkpointCatchUp {
		var busy, log, done int64
		err := c.db.QueryRowContext(ctx, sqlCheckpointPassive).Scan(&busy, &log, &done)
		if err != nil || busy != 0 {
			return
		}
		frames, backfilled, err := c.walFrames()
		if err != nil || backfilled >= frames {
			return
		}
	}
}

// truncate runs a TRUNCATE checkpoint: it waits for the writer (up to BusyTimeout), copies
// what is left of the WAL and empties it.
func (c *checkpointer) truncate(ctx context.Context) {
	var busy, log, done int64
	err := c.db.QueryRowContext(ctx, sqlCheckpointTrunc).Scan(&busy, &log, &done)
	if err == nil && busy == 0 {
		c.restarts.Add(1)
	}
}

// signal tells a test that a round of checkpoints ended.
func (c *checkpointer) signal() {
	select {
	case c.ran <- struct{}{}:
	default:
	}
}

// walFrames reads the WAL's size in frames and how many of them are already copied into
// the database from the wal-index header.
func (c *checkpointer) walFrames() (frames, backfilled int, err error) {
	var h [shmHeaderLen]byte
	if _, err := c.shm.ReadAt(h[:], 0); err != nil {
		if err == io.EOF {
			return 0, 0, fmt.Errorf("wal-index: short header")
		}
		return 0, 0, err
	}
	e := binary.NativeEndian
	if e.Uint32(h[shmVersionOff:]) != shmVersion || h[shmIsInitOff] == 0 {
		return 0, 0, fmt.Errorf("wal-index: unknown header")
	}
	frames = int(e.Uint32(h[shmMxFrameOff:]))
	backfilled = min(int(e.Uint32(h[shmBackfillOff:])), frames)
	return frames, backfilled, nil
}

// close closes the checkpointer's connection and the wal-index file.
func (c *checkpointer) close() error {
	var err error
	if c.db != nil {
		err = c.db.Close()
	}
	if cerr := c.shm.Close(); err == nil {
		err = cerr
	}
	return err
}
