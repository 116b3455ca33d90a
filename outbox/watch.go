package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Commit watch defaults, overridable in [Options].
const (
	// DefaultCommitWaiters is how many connections of its own a PostgreSQL outbox's commit
	// watch holds while a forwarder in this process listens: 2. One serves the common case;
	// the second keeps serving while the first waits on a long transaction.
	DefaultCommitWaiters = 2
	// DefaultCommitWaitSlice is the longest a commit waiter waits on one group of
	// transactions before it turns to the next group: 10 ms. A transaction still open then
	// is waited on again later, so a long transaction delays the wake of others that commit
	// meanwhile by at most about one slice.
	DefaultCommitWaitSlice = 10 * time.Millisecond
	// DefaultCommitGather is how long a waiter lets a new group gather before it asks for
	// the group's lock: 1 ms. A transaction that ends within it costs its commit nothing
	// (the lock is free when asked for, with no waiter for the commit to wake), and groups
	// grow under load; a job's wake comes at most this much later.
	DefaultCommitGather = time.Millisecond
	// DefaultCommitWarm is how long after a group opens a commit waiter keeps looking for
	// new groups by itself, every CommitGather, rather than being woken for them: 100 ms.
	// While it looks, an inserting transaction arms no timer and wakes no goroutine, so in
	// steady traffic an insert costs its transaction nothing but its statement.
	DefaultCommitWarm = 100 * time.Millisecond
)

// The commit watch: how a PostgreSQL outbox learns that a transaction which inserted
// through it (Insert, that is EnqueueTx) has ended, without a NOTIFY in that transaction.
//
// A NOTIFY costs the inserting transaction more than its INSERT does, and PostgreSQL
// serialises the commits of all notifying transactions on one lock held across the commit's
// WAL flush, which caps an application's commit rate. So while a forwarder in this process
// listens, Insert instead takes a shared transaction-level advisory lock on a key of its
// group (an "epoch") within the INSERT statement itself. A waiter, on a connection of its own,
// lets the epoch gather for a moment (a timer, so that the inserting goroutine wakes
// nobody), closes it to newcomers, waits until every INSERT of it has returned (so every
// member holds its lock), and asks for the key exclusively: PostgreSQL grants it when the
// last member transaction ends, committed or rolled back, and the waiter wakes the
// forwarder. A transaction that ended within the gathering finds no waiter to wake at its
// commit. The wait is cut after a slice (lock_timeout) and the epoch goes back to the
// queue, so one long transaction does not hold back the others' wake. For CommitWarm after
// an epoch opens, one waiter looks for the next epoch by itself every gather, on its own
// timer, so that in steady traffic an insert arms no timer and wakes no goroutine: its
// transaction pays for its statement and nothing else.
//
// Nothing waits on the waiter: it holds no lock when it waits, and new inserts use a new
// key, never one a waiter asks for. Another process's keys are another lock class (random
// per Outbox), so waiters of different processes do not meet either. A transaction that
// inserts again after it joined an epoch takes no second lock: the epoch's wait cannot end
// before the transaction does. When no waiter runs (no forwarder listens in this process,
// or the database is unreachable), Insert NOTIFYs instead, so that forwarders elsewhere wake.
type watch struct {
	class  int32         // the advisory lock class of this outbox's keys
	slice  time.Duration // one wait's limit
	gather time.Duration // how long a new epoch stays open at least
	warm   time.Duration // how long after an epoch opens a waiter looks for the next by itself
	size   int           // waiters to run
	work   chan struct{} // capacity 1: an epoch is ready to be waited on
	ripen  *time.Timer   // fires when the open epoch has gathered

	mu      sync.Mutex
	running int       // waiters connected
	next    int32     // the next epoch's key
	open    *epoch    // the epoch that inserts join now, nil when none
	warmTil time.Time // a waiter looks for epochs by itself until then
	looking bool      // a waiter looks: leave arms no timer
	armed   int       // epochs whose ripen timer an insert armed (for tests)
	queue   []*epoch
	txs     map[*sql.Tx]*epoch // transactions that hold an epoch's lock whose wait has not ended
}

// epoch is a group of inserting transactions that share one lock key.
type epoch struct {
	key      int32
	inflight int  // INSERTs started and not returned
	used     bool // an INSERT of it succeeded: its lock is held by some transaction
	txs      []*sql.Tx
	sealed   bool
	armed    bool          // the ripen timer is set for it
	opened   time.Time     // when its first INSERT began
	drained  chan struct{} // closed once sealed with no INSERT in flight
}

func newWatch(size int, slice, gather, warm time.Duration) *watch {
	var b [8]byte
	_, _ = rand.Read(b[:])
	ripen := time.NewTimer(time.Hour)
	ripen.Stop()
	return &watch{
		class: int32(binary.LittleEndian.Uint32(b[:4])), next: int32(binary.LittleEndian.Uint32(b[4:])),
		slice: slice, gather: max(gather, 0), warm: max(warm, 0), size: size, work: make(chan struct{}, 1), ripen: ripen,
		txs: make(map[*sql.Tx]*epoch),
	}
}

// insertMode is how an INSERT announces its rows.
type insertMode uint8

const (
	announceNone   insertMode = iota // the transaction is in an epoch already (or SQLite)
	announceLock                     // take the epoch's lock
	announceNotify                   // NOTIFY the outbox's channel at commit
)

// enter decides how tx's next INSERT announces itself. With announceLock, the INSERT must
// take the lock of the returned epoch's key and then call leave.
func (w *watch) enter(tx *sql.Tx) (insertMode, *epoch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.txs[tx]; ok {
		return announceNone, nil
	}
	if w.running == 0 {
		return announceNotify, nil
	}
	if w.open == nil {
		w.next++
		w.open = &epoch{key: w.next, drained: make(chan struct{}), opened: time.Now()}
		w.warmTil = w.open.opened.Add(w.warm)
	}
	w.open.inflight++
	return announceLock, w.open
}

// leave records that an INSERT of e returned, holding e's lock for tx if ok.
func (w *watch) leave(e *epoch, tx *sql.Tx, ok bool) {
	w.mu.Lock()
	e.inflight--
	if ok {
		e.used = true
		e.txs = append(e.txs, tx)
		w.txs[tx] = e
	}
	arm := ok && !e.armed && !e.sealed && !w.looking // a looking waiter arms it itself
	if arm {
		e.armed = true
		w.armed++
	}
	if arm { // a waiter seals e once it has gathered; a timer wakes it, off this goroutine.
		// Armed under the lock, so that a late Reset for an older epoch cannot replace the
		// deadline of a newer one.
		w.ripen.Reset(max(w.gather-time.Since(e.opened), 0))
	}
	drained := e.sealed && e.inflight == 0
	w.mu.Unlock()
	if drained {
		close(e.drained)
	}
}

// claim returns the next epoch to wait on, or nil when ctx ends. It seals the open epoch
// once it is in use and has gathered, or at once when older epochs wait (it serves them
// first). Until warmTil, one waiter looks for the open epoch every gather on look, its own
// timer, instead of waiting to be woken.
func (w *watch) claim(ctx context.Context, look *time.Timer) *epoch {
	lookedLast := false
	for {
		w.mu.Lock()
		if lookedLast {
			w.looking, lookedLast = false, false
		}
		if e := w.open; e != nil && e.used {
			wait := w.gather - time.Since(e.opened)
			if wait <= 0 || len(w.queue) > 0 {
				w.open, e.sealed = nil, true
				if e.inflight == 0 {
					close(e.drained)
				}
				w.queue = append(w.queue, e)
			} else if !e.armed {
				e.armed = true
				w.ripen.Reset(wait)
			}
		}
		if len(w.queue) > 0 {
			e := w.queue[0]
			w.queue = w.queue[1:]
			more := len(w.queue) > 0
			w.mu.Unlock()
			if more { // let another waiter take the next one
				w.signalWork()
			}
			return e
		}
		var looked <-chan time.Time
		if !w.looking && w.gather > 0 && time.Now().Before(w.warmTil) {
			w.looking, lookedLast = true, true
			look.Reset(w.gather)
			looked = look.C
		}
		w.mu.Unlock()
		select {
		case <-w.work:
		case <-w.ripen.C:
		case <-looked:
		case <-ctx.Done():
			if lookedLast {
				w.mu.Lock()
				w.looking = false
				w.mu.Unlock()
			}
			return nil
		}
		if lookedLast {
			look.Stop()
		}
	}
}

func (w *watch) signalWork() {
	select {
	case w.work <- struct{}{}:
	default:
	}
}

// requeue puts back an epoch whose members have not all ended.
func (w *watch) requeue(e *epoch) {
	w.mu.Lock()
	w.queue = append(w.queue, e)
	w.mu.Unlock()
	select {
	case w.work <- struct{}{}:
	default:
	}
}

// ended forgets an epoch whose members have all ended.
func (w *watch) ended(e *epoch) {
	w.mu.Lock()
	for _, tx := range e.txs {
		if w.txs[tx] == e {
			delete(w.txs, tx)
		}
	}
	w.mu.Unlock()
}

// pending returns how many epochs wait to be waited on, the open one included.
func (w *watch) pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.queue)
	if w.open != nil && w.open.used {
		n++
	}
	return n
}

// appName is the application_name of the watch's connections, in pg_stat_activity.
func (w *watch) appName() string { return fmt.Sprintf("slaq commit watch %08x", uint32(w.class)) }

// waitSQL waits until no transaction holds the key in share mode, then lets it go.
const waitSQL = "SELECT pg_advisory_unlock($1::int4, $2::int4) FROM pg_advisory_lock($1::int4, $2::int4)"

// run connects the watch's waiters with cfg and serves epochs until ctx ends (nil) or a
// waiter's connection fails (its error). wake is called after each wait that ended.
func (w *watch) run(ctx context.Context, cfg *pgx.ConnConfig, wake func()) error {
	cfg = cfg.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(max(w.slice.Milliseconds(), 1), 10)
	cfg.RuntimeParams["statement_timeout"] = "0"
	cfg.RuntimeParams["application_name"] = w.appName()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	conns := make([]*pgx.Conn, 0, w.size)
	defer func() {
		for _, c := range conns {
			_ = c.Close(context.WithoutCancel(ctx))
		}
	}()
	for range w.size {
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return fmt.Errorf("outbox: commit watch: connect: %w", err)
		}
		conns = append(conns, c)
	}
	w.mu.Lock()
	w.running = len(conns)
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.running = 0
		w.mu.Unlock()
	}()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			if err := w.serve(ctx, c, wake); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// serve is one waiter: it claims epochs and waits on each until its members have ended.
func (w *watch) serve(ctx context.Context, c *pgx.Conn, wake func()) error {
	look := time.NewTimer(time.Hour)
	look.Stop()
	defer look.Stop()
	for {
		e := w.claim(ctx, look)
		if e == nil {
			return nil
		}
		select {
		case <-e.drained:
		case <-ctx.Done():
			w.requeue(e)
			return nil
		}
		_, err := c.Exec(ctx, waitSQL, w.class, e.key)
		var pe *pgconn.PgError
		switch {
		case err == nil:
			w.ended(e)
			wake()
		case errors.As(err, &pe) && pe.Code == "55P03": // lock_timeout: a member is still open
			w.requeue(e)
		default:
			w.requeue(e)
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("outbox: commit watch: wait: %w", err)
		}
	}
}
