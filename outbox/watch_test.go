package outbox

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store"
)

// pgOutbox is an outbox in a fresh PostgreSQL schema.
type pgOutbox struct {
	*Outbox
	dsn string
	db  *sql.DB
}

func newPGOutbox(t *testing.T, opts Options) *pgOutbox {
	t.Helper()
	dsn := testenv.PostgresDSN(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	opts.Migrate = true
	o, err := New(context.Background(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &pgOutbox{o, dsn, db}
}

// listen runs o.Listen until the test ends; its errors arrive on the returned channel, and
// it is called again after each.
func (o *pgOutbox) listen(t *testing.T) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := o.Listen(ctx); err != nil {
				errs <- err
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	testenv.PollUntil(t, 10*time.Second, "the commit watch to connect", func() bool {
		o.watch.mu.Lock()
		defer o.watch.mu.Unlock()
		return o.watch.running > 0
	})
	return errs
}

// waiterWaiting reports whether a waiter of o asks PostgreSQL for a lock it has not got.
func (o *pgOutbox) waiterWaiting(t *testing.T) bool {
	t.Helper()
	var n int
	err := o.db.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1::bigint::oid`,
		int64(uint32(o.watch.class))).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// claimed waits until a waiter holds every epoch and waits on one in PostgreSQL.
func (o *pgOutbox) claimed(t *testing.T) {
	t.Helper()
	testenv.PollUntil(t, 10*time.Second, "a waiter to wait on the open transaction", func() bool {
		return o.watch.pending() == 0 && o.waiterWaiting(t)
	})
}

func (o *pgOutbox) drainWake() {
	for {
		select {
		case <-o.Wake():
		default:
			return
		}
	}
}

// forwardUntil forwards on each wake until got holds n jobs.
func (o *pgOutbox) forwardUntil(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	deadline := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case <-o.Wake():
		case <-deadline:
			t.Fatalf("forwarded %d jobs, want %d: no wake", len(got), n)
		}
		if _, err := o.Forward(context.Background(), 100, func(_ context.Context, jobs []*store.Job) error {
			for _, j := range jobs {
				got = append(got, j.ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func jobsN(n int) []*store.Job {
	jobs := make([]*store.Job, n)
	for i := range jobs {
		jobs[i] = &store.Job{ID: store.NewID(store.High, 1_800_000_000_000), Type: "t", Tier: store.High,
			Payload: []byte(`{}`), State: store.StateWaiting, MaxAttempts: 1, TimeoutMs: 1000}
	}
	return jobs
}

// begin begins a transaction that is rolled back when the test ends, if still open (a
// transaction left open would block dropping the test's schema).
func (o *pgOutbox) begin(t *testing.T) *sql.Tx {
	t.Helper()
	tx, err := o.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return tx
}

func (o *pgOutbox) insert(t *testing.T, tx *sql.Tx, n int) []*store.Job {
	t.Helper()
	jobs := jobsN(n)
	if err := o.Insert(context.Background(), tx, jobs); err != nil {
		t.Fatal(err)
	}
	return jobs
}

// rawListener LISTENs on o's channel on a connection of the test's own.
func (o *pgOutbox) rawListener(t *testing.T) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), o.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	if _, err := c.Exec(context.Background(), "LISTEN "+pgx.Identifier{o.channel}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return c
}

func nextNotification(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := c.WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return n.Payload
}

// While a forwarder listens in this process, an inserting transaction sends no NOTIFY; the
// forwarder wakes when the transaction ends, not before: after a commit it finds the row,
// after a rollback nothing.
func TestCommitWatchWakesWhenTheTransactionEnds(t *testing.T) {
	t.Parallel()
	for _, commit := range []bool{true, false} {
		name := map[bool]string{true: "commit", false: "rollback"}[commit]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := newPGOutbox(t, Options{CommitWaitSlice: time.Minute})
			raw := o.rawListener(t)
			o.listen(t)
			o.drainWake()
			tx := o.begin(t)
			o.insert(t, tx, 3)
			o.claimed(t)
			select {
			case <-o.Wake():
				t.Fatal("the forwarder woke while the inserting transaction was open")
			default:
			}
			end := tx.Rollback
			if commit {
				end = tx.Commit
			}
			if err := end(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-o.Wake():
			case <-time.After(10 * time.Second):
				t.Fatal("no wake after the transaction ended")
			}
			want := map[bool]int{true: 3, false: 0}[commit]
			if n, err := o.Forward(context.Background(), 100, func(context.Context, []*store.Job) error { return nil }); err != nil || n.Moved != want {
				t.Fatalf("forward after the wake: %+v, %v; want %d moved", n, err, want)
			}
			// notifications arrive in commit order: a NOTIFY of the insert would come first
			if _, err := o.db.Exec("SELECT pg_notify($1, 'marker')", o.channel); err != nil {
				t.Fatal(err)
			}
			if p := nextNotification(t, raw); p != "marker" {
				t.Fatalf("first notification %q, want the marker: the insert NOTIFYed", p)
			}
		})
	}
}

// Without a commit watch (no forwarder listens in this process, or CommitWaiters is -1) an
// insert NOTIFYs at commit, for forwarders elsewhere.
func TestInsertNotifiesWithoutACommitWatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   Options
		listen bool
	}{
		{"no forwarder here", Options{}, false},
		{"watch off", Options{CommitWaiters: -1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newPGOutbox(t, tc.opts)
			raw := o.rawListener(t)
			if tc.listen {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); _ = o.Listen(ctx) }()
				t.Cleanup(func() { cancel(); <-done })
			}
			tx := o.begin(t)
			o.insert(t, tx, 2)
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if p := nextNotification(t, raw); p != "" {
				t.Fatalf("notification %q, want the insert's", p)
			}
		})
	}
}

// One long transaction does not hold back the wake of another that commits meanwhile, even
// with a single waiter: its wait is cut after a slice and the other's group is served.
func TestCommitWatchLongTransactionDoesNotHoldOthersBack(t *testing.T) {
	t.Parallel()
	o := newPGOutbox(t, Options{CommitWaiters: 1, CommitWaitSlice: 5 * time.Millisecond})
	o.listen(t)
	long := o.begin(t)
	longJobs := o.insert(t, long, 1)
	o.claimed(t)
	short := o.begin(t)
	shortJobs := o.insert(t, short, 2)
	if err := short.Commit(); err != nil {
		t.Fatal(err)
	}
	o.drainWake()
	got := o.forwardUntil(t, 2)
	if got[0] != shortJobs[0].ID || got[1] != shortJobs[1].ID {
		t.Fatalf("forwarded %v, want the short transaction's jobs", got)
	}
	if err := long.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := o.forwardUntil(t, 1); got[0] != longJobs[0].ID {
		t.Fatalf("forwarded %v, want the long transaction's job", got)
	}
}

// A transaction that inserts many times, across groups, holds one advisory lock: the wait
// on its first group cannot end before it does.
func TestCommitWatchOneLockPerTransaction(t *testing.T) {
	t.Parallel()
	o := newPGOutbox(t, Options{CommitWaitSlice: time.Minute})
	o.listen(t)
	tx := o.begin(t)
	for range 3 {
		o.insert(t, tx, 1)
		o.claimed(t)
	}
	var locks int
	if err := tx.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`).Scan(&locks); err != nil {
		t.Fatal(err)
	}
	if locks != 1 {
		t.Fatalf("the transaction holds %d advisory locks, want 1", locks)
	}
	o.drainWake()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	o.forwardUntil(t, 3)
}

// A waiter whose connection dies mid-wait makes Listen fail; once listening again, the watch
// still waits on the open transaction and wakes the forwarder when it commits.
func TestCommitWatchSurvivesALostConnection(t *testing.T) {
	t.Parallel()
	o := newPGOutbox(t, Options{CommitWaiters: 1, CommitWaitSlice: time.Minute})
	errs := o.listen(t)
	tx := o.begin(t)
	jobs := o.insert(t, tx, 1)
	o.claimed(t)
	if _, err := o.db.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", o.watch.appName()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if err == nil {
			t.Fatal("Listen returned no error after its waiter's connection died")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not notice its waiter's connection died")
	}
	o.claimed(t) // listening again: a new waiter waits on the same transaction
	o.drainWake()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := o.forwardUntil(t, 1); got[0] != jobs[0].ID {
		t.Fatalf("forwarded %v, want %s", got, jobs[0].ID)
	}
}

// While a waiter is warm (within CommitWarm of the last group), it looks for new groups by
// itself: an insert arms no timer, and its commit still wakes the forwarder. With CommitWarm
// negative, every group's first insert arms the waiter's timer.
func TestWatchWarmWaiterLooksByItself(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		warm      time.Duration
		wantArmed int
	}{{"warm", time.Hour, 0}, {"no warm", -1, 1}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := newPGOutbox(t, Options{CommitWarm: c.warm})
			o.listen(t)
			tx := o.begin(t)
			o.insert(t, tx, 1)
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			o.forwardUntil(t, 1)
			armed := func() int {
				o.watch.mu.Lock()
				defer o.watch.mu.Unlock()
				return o.watch.armed
			}
			if c.warm > 0 {
				testenv.PollUntil(t, 10*time.Second, "a waiter to look by itself", func() bool {
					o.watch.mu.Lock()
					defer o.watch.mu.Unlock()
					return o.watch.looking
				})
			}
			before := armed()
			tx = o.begin(t)
			o.insert(t, tx, 1)
			if got := armed() - before; got != c.wantArmed {
				t.Fatalf("the insert armed %d timers, want %d", got, c.wantArmed)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			o.forwardUntil(t, 1)
		})
	}
}
