package slaq_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store/redisstore"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store"
)

// What EnqueueTx adds to the caller's PostgreSQL transaction, side by side in one run: the
// application's transaction alone (one INSERT and COMMIT), with a bare INSERT of the same
// outbox row into a plain table of the same shape (no trigger), and with EnqueueTx. The
// session has synchronous_commit off, so that the WAL fsync of COMMIT (equal in all three)
// does not drown the statements cost in noise.
//
//	go test -run '^$' -bench BenchmarkEnqueueTxCost -benchtime 3000x .
func BenchmarkEnqueueTxCost(b *testing.B) {
	dsn := pgSchemaB(b)
	db := openSQLB(b, dsn)
	o, err := outbox.New(context.Background(), db, outbox.Options{Migrate: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE bare_outbox (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, job_id TEXT NOT NULL, job BYTEA NOT NULL, payload BYTEA NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	st := openRedisB(b)
	c, err := slaq.New(st, slaq.Config{Outbox: o})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	payload := map[string]string{"payment": "p"}
	// the same row the outbox gets: a job record as EnqueueTx encodes it
	jobJSON := []byte(`{"ID":"2XXXXXXXXXXXXXXXXXXXXXX","Type":"process_payment","Tier":2,"Payload":null,"State":"waiting","Attempts":0,"MaxAttempts":3,"TimeoutMs":60000,"BackoffMs":2000,"RunAt":1800000000000,"CreatedAt":1800000000000,"StartedAt":0,"FinishedAt":0,"LeaseUntil":0,"LastError":"","UniqueKey":"","UniqueTTLMs":0,"RetainMs":3600000,"Result":null}`)
	run := func(b *testing.B, extra func(tx *sql.Tx) error) {
		for i := 0; b.Loop(); i++ {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO payments (id, amount) VALUES ($1, 100)", fmt.Sprintf("%s-%d", b.Name(), i)); err != nil {
				b.Fatal(err)
			}
			if extra != nil {
				if err := extra(tx); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	for round := range 2 { // twice, interleaved, so that drift shows
		b.Run(fmt.Sprintf("app_tx_only/%d", round), func(b *testing.B) { run(b, nil) })
		b.Run(fmt.Sprintf("bare_insert/%d", round), func(b *testing.B) {
			run(b, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO bare_outbox (job_id, job, payload) VALUES ($1,$2,$3)", "2XXXXXXXXXXXXXXXXXXXXXX", jobJSON, []byte(`{"payment":"p"}`))
				return err
			})
		})
		b.Run(fmt.Sprintf("enqueue_tx/%d", round), func(b *testing.B) {
			run(b, func(tx *sql.Tx) error {
				_, err := c.EnqueueTx(ctx, tx, "process_payment", payload, slaq.WithTier(slaq.High))
				return err
			})
		})
	}
	if _, err := db.Exec("TRUNCATE slaq_outbox"); err != nil {
		b.Fatal(err)
	}
}

// Forwarder throughput from a PostgreSQL outbox into Redis: 100,000 committed jobs, one
// forwarder (one client), timed from Start until the last is stored.
//
//	go test -run '^$' -bench BenchmarkForwarderThroughput -benchtime 1x .
func BenchmarkForwarderThroughput(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		b.StopTimer()
		db := openSQLB(b, pgSchemaB(b))
		o, err := outbox.New(context.Background(), db, outbox.Options{Migrate: true})
		if err != nil {
			b.Fatal(err)
		}
		st := openRedisB(b)
		c, err := slaq.New(st, slaq.Config{Outbox: o})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		reqs := make([]slaq.Request, 1000)
		for i := range reqs {
			reqs[i] = slaq.Request{Type: "noop", Payload: map[string]int{"i": i}, Options: []slaq.Option{slaq.WithTier(slaq.High)}}
		}
		for range n / len(reqs) {
			tx, _ := db.BeginTx(ctx, nil)
			if _, err := c.EnqueueBulkTx(ctx, tx, reqs); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		if err := c.Start(ctx); err != nil {
			b.Fatal(err)
		}
		for c.DurableStats().Forwarded < n {
			time.Sleep(time.Millisecond)
		}
		el := time.Since(start)
		b.StopTimer()
		_ = c.Stop(ctx)
		b.ReportMetric(float64(n)/el.Seconds(), "jobs/s")
		b.StartTimer()
	}
}

// Pickup latency from commit: 200 committed transactions per second, one job each, on a
// PostgreSQL outbox forwarded into Redis; latency from the caller's Commit returning to the
// handler starting (so it includes NOTIFY, the forward, Redis and the fetch).
//
//	go test -run '^$' -bench BenchmarkPickupFromCommit -benchtime 1x .
func BenchmarkPickupFromCommit(b *testing.B) {
	const jobs, rate = 1000, 200
	for b.Loop() {
		db := openSQLB(b, pgSchemaB(b))
		o, err := outbox.New(context.Background(), db, outbox.Options{Migrate: true})
		if err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		started := map[string]time.Time{}
		done := make(chan struct{}, jobs)
		h := slaq.HandlerFunc(func(_ context.Context, j *slaq.Job) error {
			mu.Lock()
			started[j.ID] = time.Now()
			mu.Unlock()
			done <- struct{}{}
			return nil
		})
		c, err := slaq.New(openRedisB(b), slaq.Config{Outbox: o, Handler: h})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if err := c.Start(ctx); err != nil {
			b.Fatal(err)
		}
		committed := map[string]time.Time{}
		tick := time.NewTicker(time.Second / rate)
		for range jobs {
			<-tick.C
			tx, _ := db.BeginTx(ctx, nil)
			if _, err := tx.ExecContext(ctx, "INSERT INTO payments (id, amount) VALUES ($1, 1)", store.NewID(slaq.High, 0)); err != nil {
				b.Fatal(err)
			}
			id, err := c.EnqueueTx(ctx, tx, "pay", nil, slaq.WithTier(slaq.High))
			if err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			committed[id] = time.Now()
		}
		tick.Stop()
		for range jobs {
			<-done
		}
		_ = c.Stop(ctx)
		var lat []time.Duration
		mu.Lock()
		for id, at := range committed {
			lat = append(lat, started[id].Sub(at))
		}
		mu.Unlock()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max_ms")
	}
}

func pgSchemaB(b *testing.B) string {
	db, err := sql.Open("pgx", postgresURL())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	schema := fmt.Sprintf("slaq_bench_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		db, _ := sql.Open("pgx", postgresURL())
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		_ = db.Close()
	})
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&synchronous_commit=off&search_path=" + schema
}

func openSQLB(b *testing.B, dsn string) *sql.DB {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec("CREATE TABLE payments (id TEXT PRIMARY KEY, amount INTEGER NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	return db
}

func openRedisB(b *testing.B) store.Store {
	opts := redisstore.Options{Prefix: fmt.Sprintf("slaqbench:%d", time.Now().UnixNano())}
	st, err := redisstore.New(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close(); deleteRedisPrefix(&testing.T{}, opts) })
	return st
}
