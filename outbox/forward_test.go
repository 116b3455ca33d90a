package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store"
)

// roundTrips counts the statements and batches a pgx connection sends: each is one round
// trip to PostgreSQL.
type roundTrips struct {
	mu  sync.Mutex
	n   int
	sql []string
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.add(d.SQL)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	r.add("batch")
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (r *roundTrips) add(s string) {
	r.mu.Lock()
	r.n++
	r.sql = append(r.sql, s)
	r.mu.Unlock()
}

func (r *roundTrips) take() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, s := r.n, r.sql
	r.n, r.sql = 0, nil
	return n, s
}

// openPostgres opens a database in a fresh schema through pgx's stdlib, with tr (if not nil)
// tracing its connections.
func openPostgres(t *testing.T, dsn string, tr *roundTrips) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if tr != nil {
		cfg.Tracer = tr
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func testJobs(n int) []*store.Job {
	jobs := make([]*store.Job, n)
	for i := range jobs {
		jobs[i] = &store.Job{ID: store.NewID(store.High, 1_800_000_000_000), Type: "t", Tier: store.High,
			Payload: []byte(`{}`), State: store.StateWaiting, MaxAttempts: 1, TimeoutMs: 1000}
	}
	return jobs
}

func ids(jobs []*store.Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

// A PostgreSQL forward of a batch is two round trips (BEGIN with the claiming DELETE, then
// COMMIT after the store write); until COMMIT the rows stay for everyone else, and a failed
// store write leaves them all.
func TestForwardPostgresTwoRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr := &roundTrips{}
	db := openPostgres(t, testenv.PostgresDSN(t), tr)
	o, err := outbox.New(ctx, db, outbox.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	jobs := testJobs(30)
	if err := o.Add(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	var got []string
	move := func(ctx context.Context, batch []*store.Job) error {
		got = append(got, ids(batch)...)
		return nil
	}
	if n, err := o.Forward(ctx, 10, move); err != nil || n.Moved != 10 { // prepares the statements
		t.Fatalf("first forward: %+v, %v", n, err)
	}
	tr.take()
	var lenDuringMove int
	n, err := o.Forward(ctx, 10, func(ctx context.Context, batch []*store.Job) error {
		lenDuringMove, err = o.Len(ctx) // another connection: the claim is not committed yet
		if err != nil {
			return err
		}
		return move(ctx, batch)
	})
	if err != nil || n.Moved != 10 {
		t.Fatalf("second forward: %+v, %v", n, err)
	}
	trips, sqls := tr.take()
	trips-- // the Len inside move
	if trips != 2 {
		t.Fatalf("a forward of one batch took %d round trips, want 2: %q", trips, sqls)
	}
	if lenDuringMove != 20 {
		t.Fatalf("during the store write the outbox showed %d rows to others, want 20 (the claim commits after the write)", lenDuringMove)
	}
	failed := errors.New("store down")
	if _, err := o.Forward(ctx, 10, func(context.Context, []*store.Job) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("forward with a failing store write: %v, want its error", err)
	}
	if n, err := o.Len(ctx); err != nil || n != 10 {
		t.Fatalf("after a failed store write the outbox holds %d (%v), want 10", n, err)
	}
	if n, err := o.Forward(ctx, 100, move); err != nil || n.Moved != 10 {
		t.Fatalf("last forward: %+v, %v", n, err)
	}
	if !slices.Equal(got, ids(jobs)) {
		t.Fatalf("forwarded %v, want %v in order", got, ids(jobs))
	}
	if n, err := o.Forward(ctx, 100, move); err != nil || n.Rows() != 0 {
		t.Fatalf("forward of an empty outbox: %+v, %v", n, err)
	}
}

// Two forwarders on one PostgreSQL outbox: while one holds its batch (its store write has
// not returned), the other claims the next batch at once, never the same rows.
func TestForwardPostgresConcurrentSkipsLocked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	a, err := outbox.New(ctx, openPostgres(t, dsn, nil), outbox.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := outbox.New(ctx, openPostgres(t, dsn, nil), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	jobs := testJobs(25)
	if err := a.Add(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	var gotA, gotB []string
	bDone := make(chan error, 1)
	nA, err := a.Forward(ctx, 10, func(ctx context.Context, batch []*store.Job) error {
		gotA = ids(batch)
		go func() { // the other forwarder, while this one holds its rows
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_, err := b.Forward(cctx, 10, func(_ context.Context, batch []*store.Job) error {
				gotB = ids(batch)
				return nil
			})
			bDone <- err
		}()
		return <-bDone
	})
	if err != nil || nA.Moved != 10 || len(gotB) != 10 {
		t.Fatalf("forwarder A moved %+v (%v), B %d while A held its batch; want 10 each", nA, err, len(gotB))
	}
	if !slices.Equal(gotA, ids(jobs[:10])) || !slices.Equal(gotB, ids(jobs[10:20])) {
		t.Fatalf("A moved %v and B %v: want the first 10 and the next 10", gotA, gotB)
	}
	if n, err := a.Len(ctx); err != nil || n != 5 {
		t.Fatalf("outbox holds %d (%v), want 5", n, err)
	}
}
