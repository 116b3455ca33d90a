package slaq_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store"
)

func postgresURL() string {
	if u := os.Getenv("SLAQ_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// pgSchema creates a schema of the test's own on PostgreSQL and returns a DSN whose
// search_path points at it, with host:port replaced by addr when addr is not empty.
func pgSchema(t *testing.T, addr string) string {
	t.Helper()
	db, err := sql.Open("pgx", postgresURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v", err)
		}
		t.Skipf("SKIPPING: no PostgreSQL at 127.0.0.1:5432 (%v). Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start", err)
	}
	schema := fmt.Sprintf("slaq_engine_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE") })
	if addr == "" {
		addr = "127.0.0.1:5432"
	}
	return fmt.Sprintf("postgres://postgres@%s/test?sslmode=disable&search_path=%s&connect_timeout=2", addr, schema)
}

type dlqKind struct {
	name string
	open func(t *testing.T) *dlq.DB
}

func dlqKinds() []dlqKind {
	return []dlqKind{
		{"sqlite", func(t *testing.T) *dlq.DB { return openDLQ(t, filepath.Join(t.TempDir(), "dead.db")) }},
		{"postgres", func(t *testing.T) *dlq.DB { return openDLQ(t, pgSchema(t, "")) }},
	}
}

func openDLQ(t *testing.T, dsn string) *dlq.DB {
	t.Helper()
	db, err := dlq.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open dead-letter queue: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// After its last attempt a job leaves the store and lands in failed_jobs, once, and can be
// retried from there with fresh attempts.
func TestExhaustedJobsAreDeadLettered(t *testing.T) {
	t.Parallel()
	for _, dk := range dlqKinds() {
		t.Run(dk.name, func(t *testing.T) {
			t.Parallel()
			eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
				dead := dk.open(t)
				st := open(t)
				var fail sync.Map
				mux := slaq.NewServeMux()
				mux.HandleFunc("export_transactions", func(ctx context.Context, j *slaq.Job) error {
					if _, ok := fail.Load(j.ID); ok {
						return nil
					}
					return fmt.Errorf("attempt %d: disk full", j.Attempts+1)
				})
				moved := make(chan string, 10)
				c := newClient(t, st, slaq.Config{Handler: mux, DeadLetters: dead,
					Observers: []slaq.Observer{slaq.ObserverFunc(func(e slaq.Event) {
						if e.Kind == slaq.EventDeadLettered {
							moved <- e.Job.ID
						}
					})},
					Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Medium: {MaxAttempts: 3, Backoff: time.Millisecond}}})
				ctx := context.Background()
				id, err := c.Enqueue(ctx, "export_transactions", map[string]int{"user": 7}, slaq.WithTier(slaq.Medium))
				if err != nil {
					t.Fatal(err)
				}
				select {
				case got := <-moved:
					if got != id {
						t.Fatalf("dead-lettered %s, want %s", got, id)
					}
				case <-time.After(15 * time.Second):
					t.Fatal("job never reached the dead-letter queue")
				}
				e, err := dead.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if e.Attempts != 3 || e.Type != "export_transactions" || e.Tier != slaq.Medium ||
					e.Error != "attempt 3: disk full" || string(e.Payload) != `{"user":7}` {
					t.Fatalf("dead-letter row = %+v", e)
				}
				if _, err := st.Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("dead job still in the store: %v", err)
				}
				if n, _ := dead.Count(ctx, dlq.Filter{}); n != 1 {
					t.Fatalf("%d rows, want 1", n)
				}
				j, err := c.Job(ctx, id)
				if err != nil || j.State != store.StateFailed {
					t.Fatalf("status of a dead-lettered job: %+v, %v", j, err)
				}
				// Retry from the dead-letter queue: fresh attempts, and this time it succeeds.
				fail.Store(id, true)
				if err := c.RetryDeadLetter(ctx, id); err != nil {
					t.Fatal(err)
				}
				done := waitState(t, c, id, store.StateCompleted)
				if done.Attempts != 0 {
					t.Fatalf("retried job spent %d attempts", done.Attempts)
				}
				if n, _ := dead.Count(ctx, dlq.Filter{}); n != 0 {
					t.Fatalf("%d rows after the retry, want 0", n)
				}
			})
		})
	}
}

// The crash-between-steps case: the row was written but the process died before the job
// left the store. The next client writes the row again (no duplicate) and removes the job.
func TestDeadLetterMoveIsIdempotent(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		dead := openDLQ(t, filepath.Join(t.TempDir(), "dead.db"))
		st := open(t)
		ctx := context.Background()
		j := failInStore(t, st, slaq.Low, "generate_report")
		deadJobs, err := st.Failed(ctx, slaq.Low, 10)
		if err != nil || len(deadJobs) != 1 {
			t.Fatalf("failed jobs before the move: %d, %v; want 1", len(deadJobs), err)
		}
		if err := dead.Add(ctx, deadJobs); err != nil { // step one, then "crash"
			t.Fatal(err)
		}
		if n, err := dead.Count(ctx, dlq.Filter{}); err != nil || n != 1 {
			t.Fatalf("%d rows after step one, %v; want 1", n, err)
		}
		mux := slaq.NewServeMux()
		newClient(t, st, slaq.Config{Handler: mux, DeadLetters: dead})
		waitFor(t, 10*time.Second, "the job to leave the store", func() bool {
			_, err := st.Get(ctx, j.ID)
			return errors.Is(err, store.ErrNotFound)
		})
		if n, _ := dead.Count(ctx, dlq.Filter{}); n != 1 {
			t.Fatalf("%d rows, want exactly 1", n)
		}
	})
}

// While PostgreSQL cannot be reached, a dead job waits in the store; once it answers again the
// job moves, once.
func TestDeadLetterWaitsForTheDatabase(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		proxy := testenv.NewProxy(t, "127.0.0.1:5432")
		dead := openDLQ(t, pgSchema(t, proxy.Addr()))
		proxy.SetUp(false)
		st := open(t)
		mux := slaq.NewServeMux()
		mux.HandleFunc("send_bulk_emails", func(ctx context.Context, j *slaq.Job) error {
			return slaq.Permanent(errors.New("smtp rejected"))
		})
		c := newClient(t, st, slaq.Config{Handler: mux, DeadLetters: dead, DeadLetterRetry: 50 * time.Millisecond})
		ctx := context.Background()
		id, err := c.Enqueue(ctx, "send_bulk_emails", nil, slaq.WithTier(slaq.Batch))
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the job to fail", func() bool {
			j, err := st.Get(ctx, id)
			return err == nil && j.State == store.StateFailed
		})
		// The mover has tried and failed at least once by the time a refused connection is seen.
		waitFor(t, 10*time.Second, "the mover to try the database", func() bool { return proxy.Refused() > 0 })
		if j, err := st.Get(ctx, id); err != nil || j.State != store.StateFailed {
			t.Fatalf("while the database is down the job must wait in the store: %+v, %v", j, err)
		}
		proxy.SetUp(true)
		waitFor(t, 15*time.Second, "the job to move once the database is back", func() bool {
			_, err := st.Get(ctx, id)
			return errors.Is(err, store.ErrNotFound)
		})
		if n, err := dead.Count(ctx, dlq.Filter{}); err != nil || n != 1 {
			t.Fatalf("%d rows (%v), want 1", n, err)
		}
	})
}

// Client.Job reports a dead-letter database that does not answer as an error, never as
// "not found": an operator must not be told a job does not exist while PostgreSQL is down.
func TestJobLookupDuringDatabaseOutage(t *testing.T) {
	t.Parallel()
	proxy := testenv.NewProxy(t, "127.0.0.1:5432")
	dead := openDLQ(t, pgSchema(t, proxy.Addr()))
	c := newClient(t, openEmbedded(t), slaq.Config{DeadLetters: dead})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	missing := store.NewID(slaq.High, time.Now().UnixMilli())
	if _, err := c.Job(ctx, missing); !errors.Is(err, slaq.ErrNotFound) {
		t.Fatalf("with the database up: err = %v, want ErrNotFound", err)
	}
	proxy.SetUp(false)
	_, err := c.Job(ctx, missing)
	if err == nil || errors.Is(err, slaq.ErrNotFound) {
		t.Fatalf("with the database down: err = %v, want an error that is not ErrNotFound", err)
	}
}

// One dead job whose row PostgreSQL refuses (a type with NUL, written past Enqueue's checks
// straight into the store) never stops dead-lettering: it is set aside with its reason, and
// every other dead job, in its tier and every other, reaches failed_jobs.
func TestPoisonRowDoesNotStopDeadLettering(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		dead := openDLQ(t, pgSchema(t, ""))
		st := open(t)
		ctx := context.Background()
		poison := failInStore(t, st, slaq.High, "bad\x00type")
		mux := slaq.NewServeMux()
		mux.HandleFunc("charge", func(ctx context.Context, j *slaq.Job) error { return slaq.Permanent(errors.New("card declined")) })
		c := newClient(t, st, slaq.Config{Handler: mux, DeadLetters: dead})
		var ids []string
		for _, tier := range slaq.Tiers {
			ids = append(ids, enqueueN(t, c, "charge", tier, 4)...)
		}
		waitFor(t, 20*time.Second, "every ordinary dead job to reach failed_jobs", func() bool {
			n, err := dead.Count(ctx, dlq.Filter{})
			return err == nil && n == int64(len(ids))
		})
		for _, id := range ids {
			if _, err := dead.Get(ctx, id); err != nil {
				t.Fatalf("dead job %s: %v", id, err)
			}
		}
		aside := c.DeadLettersSetAside()
		if _, ok := aside[poison.ID]; !ok || len(aside) != 1 {
			t.Fatalf("set aside: %v; want only the poison job %s", aside, poison.ID)
		}
		if j, err := st.Get(ctx, poison.ID); err != nil || j.State != store.StateFailed {
			t.Fatalf("poison job: %+v, %v; want it kept failed in the store", j, err)
		}
	})
}

// failInStore writes a job of tier and typ straight into the store (past Enqueue's checks),
// claims it and records it as failed, as a worker whose last attempt failed would.
func failInStore(t *testing.T, st store.Store, tier slaq.Tier, typ string) *store.Job {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UnixMilli()
	j := &store.Job{ID: store.NewID(tier, now), Type: typ, Tier: tier, Payload: []byte(`{}`),
		State: store.StateWaiting, MaxAttempts: 1, TimeoutMs: 1000, RunAt: now, CreatedAt: now}
	if _, err := st.Enqueue(ctx, now, []*store.Job{j}); err != nil {
		t.Fatal(err)
	}
	res, err := st.Fetch(ctx, store.FetchRequest{Tier: tier, Limit: 1, Now: now, LeaseMs: 60000})
	if err != nil || len(res.Jobs) != 1 {
		t.Fatalf("fetch: %v, %v", res, err)
	}
	if err := st.Ack(ctx, []store.Ack{{Kind: store.AckFail, ID: j.ID, Now: now, Error: "boom"}}); err != nil {
		t.Fatal(err)
	}
	return j
}
