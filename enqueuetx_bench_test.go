package slaq_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store/redisstore"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store"
)

// What EnqueueTx adds to the caller's PostgreSQL transaction, against a bare INSERT of the
// same row, measured side by side in one run: each iteration runs one transaction of each
// kind, in rotating order, and each kind's median is reported.
//
//   - app_tx_only: the application's transaction alone (one INSERT and COMMIT);
//   - bare_insert: plus an INSERT of an outbox row into a plain table of the same shape;
//   - enqueue_tx: plus EnqueueTx through a client whose forwarder runs (the commit watch: no
//     NOTIFY), as in an application that enqueues and forwards;
//   - enqueue_tx_notify: plus EnqueueTx through a client that runs no forwarder (its insert
//     NOTIFYs, for forwarders elsewhere);
//   - built_insert: plus what an application that writes the same row itself does: make an
//     id, encode the record with encoding/json, check the payload, INSERT.
//
// added_vs_insert is (enqueue_tx − app_tx_only) / (bare_insert − app_tx_only): 1.0 means
// EnqueueTx adds exactly one INSERT's cost; notify_added_vs_insert is the same for
// enqueue_tx_notify; added_vs_built_insert compares with built_insert instead (the row built
// inside the transaction, as EnqueueTx must). Transactions start on a fixed beat (txPace),
// every kind alike, and each job's forward ends before the next beat: a transaction that
// follows a pause runs slower than one that follows another at once (caches, sleeping
// processes), so back-to-back kinds beside kinds that wait for a forward would not compare. The session has synchronous_commit
// off, so that the WAL flush of COMMIT (equal in all) does not drown the statements' cost.
//
//	go test -run '^$' -bench BenchmarkEnqueueTxCost -benchtime 2000x .
func BenchmarkEnqueueTxCost(b *testing.B) {
	dsn := pgSchemaB(b)
	db := openSQLB(b, dsn)
	ctx := context.Background()
	o, err := outbox.New(ctx, db, outbox.Options{Migrate: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE bare_outbox (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, job_id TEXT NOT NULL, job BYTEA NOT NULL, payload BYTEA NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	st := openRedisB(b)
	forwarded := make(chan struct{}, 16)
	c, err := slaq.New(st, slaq.Config{Outbox: o, Observers: []slaq.Observer{slaq.ObserverFunc(func(e slaq.Event) {
		if e.Kind == slaq.EventForwarded {
			forwarded <- struct{}{}
		}
	})}})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Stop(context.Background()) })
	o2, err := outbox.New(ctx, db, outbox.Options{}) // no forwarder in this client: NOTIFY
	if err != nil {
		b.Fatal(err)
	}
	notifying, err := slaq.New(st, slaq.Config{Outbox: o2})
	if err != nil {
		b.Fatal(err)
	}
	// the payload as the application hands it over, encoded (json.RawMessage), as the bare
	// INSERT gets it; a Go value would add its json.Marshal, as it does to Enqueue
	payload := json.RawMessage(`{"payment":"p"}`)
	// the same row the outbox gets: one that EnqueueTx wrote
	var jobRow, payloadRow []byte
	{
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := notifying.EnqueueTx(ctx, tx, "process_payment", payload, slaq.WithTier(slaq.High)); err != nil {
			b.Fatal(err)
		}
		if err := tx.QueryRowContext(ctx, "SELECT job, payload FROM slaq_outbox").Scan(&jobRow, &payloadRow); err != nil {
			b.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			b.Fatal(err)
		}
	}
	kinds := []struct {
		name  string
		extra func(tx *sql.Tx) error
		jobs  bool // wait for its job's forward after the timing
	}{
		{"app_tx_only", nil, false},
		{"bare_insert", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO bare_outbox (job_id, job, payload) VALUES ($1,$2,$3)", "2XXXXXXXXXXXXXXXXXXXXXX", jobRow, payloadRow)
			return err
		}, false},
		{"enqueue_tx", func(tx *sql.Tx) error {
			_, err := c.EnqueueTx(ctx, tx, "process_payment", payload, slaq.WithTier(slaq.High))
			return err
		}, true},
		{"enqueue_tx_notify", func(tx *sql.Tx) error {
			_, err := notifying.EnqueueTx(ctx, tx, "process_payment", payload, slaq.WithTier(slaq.High))
			return err
		}, true},
		{"built_insert", func(tx *sql.Tx) error {
			// what an application writing the row itself does: a new id, the record as
			// encoding/json writes it, the payload checked, then the INSERT
			if !json.Valid(payload) {
				return fmt.Errorf("invalid payload")
			}
			now := time.Now().UnixMilli()
			rec, err := json.Marshal(&store.Job{ID: store.NewID(store.High, now), Type: "process_payment", Tier: store.High,
				State: store.StateWaiting, MaxAttempts: 3, TimeoutMs: 30_000, RunAt: now, CreatedAt: now})
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO bare_outbox (job_id, job, payload) VALUES ($1,$2,$3)", store.NewID(store.High, now), rec, []byte(payload))
			return err
		}, false},
	}
	lat := make([][]time.Duration, len(kinds))
	beat := time.NewTicker(txPace)
	defer beat.Stop()
	late := 0
	for i := 0; b.Loop(); i++ {
		for k := range kinds {
			idx := (i + k) % len(kinds)
			kind := kinds[idx]
			b.StopTimer()
			select {
			case <-beat.C:
				late++ // the beat came before the previous forward ended
			default:
				<-beat.C
			}
			b.StartTimer()
			start := time.Now()
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO payments (id, amount) VALUES ($1, 100)", fmt.Sprintf("%d-%d", i, idx)); err != nil {
				b.Fatal(err)
			}
			if kind.extra != nil {
				if err := kind.extra(tx); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			lat[idx] = append(lat[idx], time.Since(start))
			if kind.jobs {
				b.StopTimer()
				<-forwarded
				for { // and until the forward's COMMIT
					if n, err := o.Len(ctx); err != nil || n == 0 {
						break
					}
				}
				b.StartTimer()
			}
		}
	}
	p50 := make([]float64, len(kinds))
	for k, kind := range kinds {
		slices.Sort(lat[k])
		p50[k] = float64(lat[k][len(lat[k])/2].Nanoseconds()) / 1000
		b.ReportMetric(p50[k], kind.name+"_p50_us")
	}
	insert := p50[1] - p50[0]
	b.ReportMetric((p50[2]-p50[0])/insert, "added_vs_insert")
	b.ReportMetric((p50[3]-p50[0])/insert, "notify_added_vs_insert")
	b.ReportMetric((p50[2]-p50[0])/(p50[4]-p50[0]), "added_vs_built_insert")
	b.ReportMetric(float64(late), "late_beats")
	b.ReportMetric(0, "ns/op") // an iteration is four paced transactions: not a figure
}

// txPace is the beat on which BenchmarkEnqueueTxCost starts its transactions: 4 ms, longer
// than a forward takes.
const txPace = 4 * time.Millisecond

// What EnqueueTx costs an application's commit rate: txWriters goroutines commit, as fast as
// they can, the application's transaction (one INSERT) plus a bare INSERT of the outbox row,
// or plus EnqueueTx with the commit watch (a forwarder runs in this process), or plus
// EnqueueTx that NOTIFYs (no forwarder here), for txRound each, twice in turn; with
// synchronous_commit on, as in production. tps_vs_insert is each EnqueueTx kind's commit
// rate over the bare INSERT's: 1.0 means EnqueueTx costs the application no more than
// that INSERT. A NOTIFY makes PostgreSQL serialise the notifying commits, WAL flush
// included.
//
//	go test -run '^$' -bench BenchmarkEnqueueTxCommitRate -benchtime 1x .
func BenchmarkEnqueueTxCommitRate(b *testing.B) {
	dsn := strings.Replace(pgSchemaB(b), "&synchronous_commit=off", "", 1)
	db := openSQLB(b, dsn)
	db.SetMaxIdleConns(2 * txWriters)
	ctx := context.Background()
	o, err := outbox.New(ctx, db, outbox.Options{Migrate: true})
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
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Stop(context.Background()) })
	o2, err := outbox.New(ctx, db, outbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	notifying, err := slaq.New(st, slaq.Config{Outbox: o2})
	if err != nil {
		b.Fatal(err)
	}
	payload := json.RawMessage(`{"payment":"p"}`)
	var jobRow []byte
	{
		tx, _ := db.BeginTx(ctx, nil)
		if _, err := notifying.EnqueueTx(ctx, tx, "process_payment", payload); err != nil {
			b.Fatal(err)
		}
		if err := tx.QueryRowContext(ctx, "SELECT job FROM slaq_outbox").Scan(&jobRow); err != nil {
			b.Fatal(err)
		}
		_ = tx.Rollback()
	}
	kinds := []struct {
		name  string
		extra func(tx *sql.Tx) error
	}{
		{"bare_insert", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO bare_outbox (job_id, job, payload) VALUES ($1,$2,$3)", "2XXXXXXXXXXXXXXXXXXXXXX", jobRow, []byte(payload))
			return err
		}},
		{"enqueue_tx", func(tx *sql.Tx) error { _, err := c.EnqueueTx(ctx, tx, "process_payment", payload); return err }},
		{"enqueue_tx_notify", func(tx *sql.Tx) error { _, err := notifying.EnqueueTx(ctx, tx, "process_payment", payload); return err }},
	}
	var seq atomic.Int64
	rates := make([]float64, len(kinds))
	for b.Loop() {
		for range 2 {
			for k, kind := range kinds {
				var n atomic.Int64
				end := time.Now().Add(txRound)
				var wg sync.WaitGroup
				for range txWriters {
					wg.Go(func() {
						for time.Now().Before(end) {
							tx, err := db.BeginTx(ctx, nil)
							if err != nil {
								b.Error(err)
								return
							}
							if _, err := tx.ExecContext(ctx, "INSERT INTO payments (id, amount) VALUES ($1, 100)", strconv.FormatInt(seq.Add(1), 10)); err != nil {
								b.Error(err)
								return
							}
							if err := kind.extra(tx); err != nil {
								b.Error(err)
								return
							}
							if err := tx.Commit(); err != nil {
								b.Error(err)
								return
							}
							n.Add(1)
						}
					})
				}
				wg.Wait()
				rates[k] += float64(n.Load()) / txRound.Seconds() / 2
			}
		}
	}
	for k, kind := range kinds {
		b.ReportMetric(rates[k], kind.name+"_tps")
	}
	b.ReportMetric(rates[1]/rates[0], "tps_vs_insert")
	b.ReportMetric(rates[2]/rates[0], "notify_tps_vs_insert")
	b.ReportMetric(0, "ns/op")
}

// txWriters and txRound shape BenchmarkEnqueueTxCommitRate: 8 committing goroutines, 3 s per
// kind and round.
const (
	txWriters = 8
	txRound   = 3 * time.Second
)

// Forwarder throughput from a PostgreSQL outbox into Redis: 100,000 committed jobs, one
// forwarder (one client), timed from Start until the last is stored, per forward batch size
// (Config.ForwardBatch; "default" is DefaultForwardBatch).
//
//	go test -run '^$' -bench BenchmarkForwarderThroughput -benchtime 1x .
func BenchmarkForwarderThroughput(b *testing.B) {
	const n = 100_000
	for _, batch := range []int{100, 500, 0, 5000} {
		name := strconv.Itoa(batch)
		if batch == 0 {
			name = "default"
		}
		b.Run("batch="+name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := openSQLB(b, pgSchemaB(b))
				o, err := outbox.New(context.Background(), db, outbox.Options{Migrate: true})
				if err != nil {
					b.Fatal(err)
				}
				var forwarded atomic.Int64
				done := make(chan struct{})
				c, err := slaq.New(openRedisB(b), slaq.Config{Outbox: o, ForwardBatch: batch,
					Observers: []slaq.Observer{slaq.ObserverFunc(func(e slaq.Event) {
						if e.Kind == slaq.EventForwarded && forwarded.Add(1) == n {
							close(done)
						}
					})}})
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				reqs := make([]slaq.Request, 1000)
				for i := range reqs {
					reqs[i] = slaq.Request{Type: "noop", Payload: map[string]int{"i": i}, Options: []slaq.Option{slaq.WithTier(slaq.High)}}
				}
				for range n / len(reqs) {
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
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
				<-done
				el := time.Since(start)
				b.StopTimer()
				_ = c.Stop(ctx)
				b.ReportMetric(float64(n)/el.Seconds(), "jobs/s")
				b.StartTimer()
			}
		})
	}
}

// Pickup latency from commit: 200 committed transactions per second, one job each, on a
// PostgreSQL outbox forwarded into Redis; latency from the caller's Commit returning to the
// handler starting (so it includes the wake, the forward, Redis and the fetch). "watch":
// the enqueuing client runs the forwarder (the commit watch wakes it); "notify": the jobs
// are enqueued by a client without a forwarder, so the forwarder wakes on their NOTIFY.
//
//	go test -run '^$' -bench BenchmarkPickupFromCommit -benchtime 1x .
func BenchmarkPickupFromCommit(b *testing.B) {
	const jobs, rate = 1000, 200
	for _, path := range []string{"watch", "notify"} {
		b.Run(path, func(b *testing.B) {
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
				st := openRedisB(b)
				c, err := slaq.New(st, slaq.Config{Outbox: o, Handler: h})
				if err != nil {
					b.Fatal(err)
				}
				producer := c
				if path == "notify" {
					o2, err := outbox.New(context.Background(), db, outbox.Options{})
					if err != nil {
						b.Fatal(err)
					}
					if producer, err = slaq.New(st, slaq.Config{Outbox: o2}); err != nil {
						b.Fatal(err)
					}
				}
				ctx := context.Background()
				if err := c.Start(ctx); err != nil {
					b.Fatal(err)
				}
				committed := map[string]time.Time{}
				tick := time.NewTicker(time.Second / rate)
				for range jobs {
					<-tick.C
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := tx.ExecContext(ctx, "INSERT INTO payments (id, amount) VALUES ($1, 1)", store.NewID(slaq.High, 0)); err != nil {
						b.Fatal(err)
					}
					id, err := producer.EnqueueTx(ctx, tx, "pay", nil, slaq.WithTier(slaq.High))
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
		})
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
	db.SetMaxIdleConns(8)
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
