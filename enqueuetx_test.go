package slaq_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store"
)

// appDB is an application database with an outbox: PostgreSQL (a schema of the test's own)
// or an SQLite file.
type appDB struct {
	name string
	open func(t *testing.T) (*sql.DB, string)
}

func appDBs() []appDB {
	return []appDB{
		{"postgres", func(t *testing.T) (*sql.DB, string) {
			dsn := pgSchema(t, "")
			return openSQL(t, "pgx", dsn), dsn
		}},
		{"sqlite", func(t *testing.T) (*sql.DB, string) {
			dsn := "file:" + filepath.Join(t.TempDir(), "app.db") + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
			return openSQL(t, "sqlite", dsn), dsn
		}},
	}
}

func openSQL(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec("CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, amount INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	return db
}

func newOutbox(t *testing.T, db *sql.DB) *outbox.Outbox {
	t.Helper()
	o, err := outbox.New(context.Background(), db, outbox.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// runLog counts the runs of each job id.
type runLog struct {
	mu   sync.Mutex
	runs map[string]int
	ch   chan string
}

func newRunLog() *runLog { return &runLog{runs: make(map[string]int), ch: make(chan string, 100000)} }

func (l *runLog) handler() slaq.Handler {
	return slaq.HandlerFunc(func(_ context.Context, j *slaq.Job) error {
		l.mu.Lock()
		l.runs[j.ID]++
		l.mu.Unlock()
		l.ch <- j.ID
		return nil
	})
}

func (l *runLog) count(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.runs[id]
}

// waitRan waits until every id ran, and fails if any ran more than once.
func (l *runLog) waitRan(t *testing.T, ids []string, d time.Duration) {
	t.Helper()
	waitFor(t, d, fmt.Sprintf("%d jobs to run", len(ids)), func() bool {
		for _, id := range ids {
			if l.count(id) == 0 {
				return false
			}
		}
		return true
	})
	for _, id := range ids {
		if n := l.count(id); n != 1 {
			t.Fatalf("job %s ran %d times", id, n)
		}
	}
}

func pay(ctx context.Context, t *testing.T, c *slaq.Client, db *sql.DB, n int, commit bool) []string {
	t.Helper()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range n {
		pid := store.NewID(slaq.High, time.Now().UnixMilli())
		if _, err := tx.ExecContext(ctx, rebind(db, "INSERT INTO payments (id, amount) VALUES ($1, 100)"), pid); err != nil {
			t.Fatal(err)
		}
		id, err := c.EnqueueTx(ctx, tx, "process_payment", map[string]string{"payment": pid}, slaq.WithTier(slaq.High))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if commit {
		err = tx.Commit()
	} else {
		err = tx.Rollback()
	}
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// rebind turns $1 into ? for SQLite.
func rebind(db *sql.DB, q string) string {
	if fmt.Sprintf("%T", db.Driver()) == "*sqlite.Driver" {
		return strings.ReplaceAll(q, "$1", "?")
	}
	return q
}

// The guide's payment route in one transaction: a rolled-back transaction leaves neither
// the payment nor a job; every committed one's job runs, once.
func TestEnqueueTxCommitAndRollback(t *testing.T) {
	t.Parallel()
	for _, a := range appDBs() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			db, _ := a.open(t)
			ctx := context.Background()
			log := newRunLog()
			st := openRedis(t)
			c := newClient(t, st, slaq.Config{Handler: log.handler(), Outbox: newOutbox(t, db)})
			rolledBack := pay(ctx, t, c, db, 3, false)
			var committed []string
			for range 20 {
				committed = append(committed, pay(ctx, t, c, db, 5, true)...)
			}
			log.waitRan(t, committed, 10*time.Second)
			o := newOutbox(t, db) // a job may run before its row's delete commits
			waitFor(t, 5*time.Second, "an empty outbox", func() bool { n, err := o.Len(ctx); return err == nil && n == 0 })
			for _, id := range rolledBack {
				if _, err := st.Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("rolled-back job %s: %v, want not found", id, err)
				}
				if log.count(id) != 0 {
					t.Fatalf("rolled-back job %s ran", id)
				}
			}
			var payments int
			if err := db.QueryRow("SELECT count(*) FROM payments").Scan(&payments); err != nil || payments != len(committed) {
				t.Fatalf("%d payments (%v), want %d", payments, err, len(committed))
			}
			if got := c.DurableStats().Forwarded; got != int64(len(committed)) {
				t.Fatalf("forwarded %d, want %d", got, len(committed))
			}
		})
	}
}

// An outbox row whose job record does not decode (here not JSON) is set aside, counted in
// DurableStats.Rejected and in the rejected table, and the jobs committed before and after
// it run.
func TestEnqueueTxPoisonRow(t *testing.T) {
	t.Parallel()
	for _, a := range appDBs() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			db, _ := a.open(t)
			ctx := context.Background()
			log := newRunLog()
			o := newOutbox(t, db)
			c := newClient(t, openEmbedded(t), slaq.Config{Handler: log.handler(), Outbox: o})
			before := pay(ctx, t, c, db, 2, true)
			if _, err := db.Exec(rebind(db, "INSERT INTO "+outbox.Table+" (job_id, job, payload) VALUES ($1, 'not json', '{}')"), "bad"); err != nil {
				t.Fatal(err)
			}
			after := pay(ctx, t, c, db, 3, true)
			log.waitRan(t, append(before, after...), 20*time.Second)
			waitFor(t, 5*time.Second, "the poison row counted", func() bool { return c.DurableStats().Rejected == 1 })
			if n, err := o.Rejected(ctx); err != nil || n != 1 {
				t.Fatalf("the rejected table holds %d rows (%v), want 1", n, err)
			}
			if s := c.DurableStats(); s.Rejected != 1 || s.Forwarded != 5 {
				t.Fatalf("durable stats %+v, want 1 rejected and 5 forwarded", s)
			}
		})
	}
}

// Two forwarders (two clients, as on two replicas) on one PostgreSQL outbox share the work
// without a leader: every job is forwarded once in all, and both forward some. The jobs are
// enqueued by a third client that runs no forwarder (an application process that only
// enqueues), so its inserts NOTIFY and wake both.
func TestTwoForwardersOnePostgresOutbox(t *testing.T) {
	t.Parallel()
	dsn := pgSchema(t, "")
	st := openRedis(t)
	ctx := context.Background()
	var clients []*slaq.Client
	for range 2 {
		db := openSQL(t, "pgx", dsn)
		clients = append(clients, newClient(t, st, slaq.Config{Outbox: newOutbox(t, db), ForwardBatch: 50}))
		if err := clients[len(clients)-1].Start(ctx); err != nil {
			t.Fatal(err)
		}
		c := clients[len(clients)-1]
		t.Cleanup(func() { _ = c.Stop(context.Background()) })
	}
	db := openSQL(t, "pgx", dsn)
	producer := newClient(t, st, slaq.Config{Outbox: newOutbox(t, db)})
	var mu sync.Mutex
	var all []string
	var wg sync.WaitGroup
	for range 4 { // four producers commit 25 transactions of 40 jobs each
		wg.Go(func() {
			for range 25 {
				ids := pay(ctx, t, producer, db, 40, true)
				mu.Lock()
				all = append(all, ids...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	waitFor(t, 20*time.Second, "every job forwarded", func() bool {
		return clients[0].DurableStats().Forwarded+clients[1].DurableStats().Forwarded >= int64(len(all))
	})
	o := newOutbox(t, db)
	waitFor(t, 5*time.Second, "an empty outbox", func() bool { n, err := o.Len(ctx); return err == nil && n == 0 })
	a, b := clients[0].DurableStats().Forwarded, clients[1].DurableStats().Forwarded
	if a+b != int64(len(all)) {
		t.Fatalf("forwarded %d + %d, want %d in all: some job was forwarded twice", a, b, len(all))
	}
	if a == 0 || b == 0 {
		t.Fatalf("forwarded %d and %d: one forwarder did all the work", a, b)
	}
	counts, err := st.Counts(ctx)
	if err != nil || counts[slaq.High.Index()].Waiting != int64(len(all)) {
		t.Fatalf("store holds %+v (%v), want %d waiting", counts[slaq.High.Index()], err, len(all))
	}
	t.Logf("forwarder split: %d / %d", a, b)
}

// PostgreSQL down while the forwarder works (its connections go through a proxy that cuts
// them and refuses new ones): the jobs committed meanwhile run once it is back, each once.
func TestForwarderPostgresDown(t *testing.T) {
	t.Parallel()
	proxy := testenv.NewProxy(t, "127.0.0.1:5432")
	viaProxy := pgSchema(t, proxy.Addr())
	fdb := openSQL(t, "pgx", viaProxy)
	log := newRunLog()
	c := newClient(t, openRedis(t), slaq.Config{Handler: log.handler(), Outbox: newOutbox(t, fdb),
		StoreRetryMin: 20 * time.Millisecond, StoreRetryMax: 200 * time.Millisecond})
	ctx := context.Background()
	// the inserting application reaches PostgreSQL directly
	app := openSQL(t, "pgx", strings.Replace(viaProxy, proxy.Addr(), "127.0.0.1:5432", 1))
	before := pay(ctx, t, c, app, 20, true)
	log.waitRan(t, before, 10*time.Second)
	proxy.SetUp(false)
	during := pay(ctx, t, c, app, 50, true)
	waitFor(t, 10*time.Second, "the forwarder to try PostgreSQL while it is down", func() bool { return proxy.Refused() >= 2 })
	if n := log.count(during[0]); n != 0 {
		t.Fatalf("a job committed while the forwarder's PostgreSQL was down ran %d times", n)
	}
	proxy.SetUp(true)
	log.waitRan(t, during, 15*time.Second)
}
