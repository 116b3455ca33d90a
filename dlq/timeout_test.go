package dlq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// slack is what a call may take beyond its deadline on a loaded test machine.
const slack = 2 * time.Second

// openProxied opens a fresh PostgreSQL dead-letter queue through a silentProxy.
func openProxied(t *testing.T, opts *Options) (*DB, *silentProxy) {
	t.Helper()
	p := newSilentProxy(t, postgresTarget(t))
	dsn := p.proxiedDSN(t, postgresTestDSN(t))
	var db *DB
	var err error
	if opts == nil {
		db, err = Open(t.Context(), dsn)
	} else {
		db, err = OpenWith(t.Context(), dsn, *opts)
	}
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, p
}

// errBlocked is what within returns for a call that did not return in time.
var errBlocked = errors.New("still blocked")

// within runs f and returns how long it took and its error. A call still running after bound
// is reported as a test error, and within returns errBlocked without waiting for it.
func within(t *testing.T, what string, bound time.Duration, f func() error) (time.Duration, error) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- f() }()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(bound):
		t.Errorf("%s still blocked after %v", what, bound)
		return bound, errBlocked
	}
}

// fillPool makes the pool hold n idle connections, all opened before the proxy goes silent.
func fillPool(t *testing.T, db *DB, n int) {
	t.Helper()
	conns := make([]interface{ Close() error }, 0, n)
	for range n {
		c, err := db.sql.Conn(t.Context())
		if err != nil {
			t.Fatalf("take a connection: %v", err)
		}
		if err := c.PingContext(t.Context()); err != nil {
			t.Fatalf("ping a connection: %v", err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
}

// TestSilentPostgres cuts PostgreSQL off without closing a socket. First, serially: Add must
// fail within its query timeout, and once the path is back the very next Add must succeed at
// once, so neither the connection that timed out nor the idle ones (as dead) may be handed out
// again. Then, with every method at once: each must fail within the query timeout, and Add
// must work again within a few seconds of the path coming back.
func TestSilentPostgres(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		opts        *Options
		timeout     time.Duration
		everyMethod bool
	}{
		{"Open defaults", nil, DefaultQueryTimeout, false},
		{"QueryTimeout 1s", &Options{QueryTimeout: time.Second}, time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, p := openProxied(t, tt.opts)
			fillPool(t, db, DefaultMaxOpenConns)
			mustAdd(t, db, deadJob("1before", "otp", store.Critical, t0))

			p.silence()
			checkSilentCall(t, "Add", tt.timeout, func(ctx context.Context) error {
				return db.Add(ctx, []*store.Job{deadJob("1during", "otp", store.Critical, t0)})
			})
			if s := db.sql.Stats(); s.Idle != 0 {
				t.Errorf("after the silent Add the pool keeps %d idle connections, want none: all are dead", s.Idle)
			}
			p.speak()
			took, err := within(t, "Add after the path is back", tt.timeout+slack+5*time.Second, func() error {
				return db.Add(context.Background(), []*store.Job{deadJob("1after", "otp", store.Critical, t0)})
			})
			if err != nil {
				t.Fatalf("first Add after the path is back = %v (after %v), want success", err, took)
			}
			if took >= tt.timeout {
				t.Errorf("first Add after the path is back took %v: it waited on a dead connection", took)
			}
			if n := mustCount(t, db, Filter{}); n != 2 {
				t.Errorf("Count = %d, want 2 (1before, 1after)", n)
			}
			if tt.everyMethod {
				testSilentEveryMethod(t, db, p, tt.timeout)
			}
		})
	}
}

// testSilentEveryMethod silences p while every method runs at once on db.
func testSilentEveryMethod(t *testing.T, db *DB, p *silentProxy, timeout time.Duration) {
	fillPool(t, db, DefaultMaxOpenConns)
	p.silence()
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Add", func(ctx context.Context) error {
			return db.Add(ctx, []*store.Job{deadJob("1during", "otp", store.Critical, t0)})
		}},
		{"Get", func(ctx context.Context) error { _, err := db.Get(ctx, "1before"); return err }},
		{"Job", func(ctx context.Context) error { _, err := db.Job(ctx, "1before"); return err }},
		{"List", func(ctx context.Context) error { _, err := db.List(ctx, Filter{}); return err }},
		{"Count", func(ctx context.Context) error { _, err := db.Count(ctx, Filter{}); return err }},
		{"Delete", func(ctx context.Context) error { _, err := db.Delete(ctx, "1gone"); return err }},
		{"Purge", func(ctx context.Context) error { _, err := db.Purge(ctx, 1); return err }},
		{"Ping", db.Ping},
	}
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() { checkSilentCall(t, c.name, timeout, c.call) })
	}
	wg.Wait()
	p.speak()
	// Connection attempts begun while silent may hold pool slots until their connect timeout
	// (at most the query timeout) ends them; the first Add may wait that long for a slot.
	bound := 2*timeout + slack
	deadline := time.Now().Add(bound)
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err := db.Add(ctx, []*store.Job{deadJob("1later", "otp", store.Critical, t0)})
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Add still fails %v after the path is back (%d attempts): %v", bound, attempt, err)
		}
	}
	if n := mustCount(t, db, Filter{}); n != 3 {
		t.Errorf("Count = %d, want 3 (1before, 1after, 1later)", n)
	}
}

// checkSilentCall runs call without a caller deadline while PostgreSQL is silent: it must fail
// within about timeout with a dlq error wrapping context.DeadlineExceeded, rejecting nothing.
func checkSilentCall(t *testing.T, name string, timeout time.Duration, call func(ctx context.Context) error) {
	took, err := within(t, name, timeout+slack+5*time.Second, func() error {
		return call(context.Background()) // no caller deadline: the DB's own must end it
	})
	switch {
	case errors.Is(err, errBlocked):
		return
	case err == nil:
		t.Errorf("%s succeeded while PostgreSQL is silent", name)
		return
	case took > timeout+slack:
		t.Errorf("%s took %v to fail, want about the query timeout %v", name, took, timeout)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "dlq: ") {
		t.Errorf("%s error = %v, want a dlq error wrapping context.DeadlineExceeded", name, err)
	}
	var r rejecter
	if errors.As(err, &r) {
		t.Errorf("%s reported rejected rows %v for a silent server", name, r.Rejected())
	}
}

// TestSilentDuringOneByOne: the batch fails on a refused row, then PostgreSQL goes silent while
// Add stores the rows one by one. Add must return a plain error, reporting nothing as rejected.
func TestSilentDuringOneByOne(t *testing.T) {
	t.Parallel()
	const timeout = time.Second
	db, p := openProxied(t, &Options{QueryTimeout: timeout})
	jobs := []*store.Job{deadJob("4a", "export", store.Low, t0), deadJob("4b", "bad\x00type", store.Low, t0),
		deadJob("4c", "export", store.Low, t0)}
	p.silenceOnError()
	// The batch's rollback and the first one-by-one insert may each wait out a timeout.
	took, err := within(t, "Add", 2*timeout+slack+5*time.Second, func() error {
		return db.Add(context.Background(), jobs)
	})
	if err == nil {
		t.Fatal("Add succeeded while PostgreSQL is silent")
	}
	var r rejecter
	if errors.As(err, &r) {
		t.Errorf("Add = %v: reported %v as rejected, want a plain error", err, r.Rejected())
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Add = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if took > 2*timeout+slack {
		t.Errorf("Add took %v, want at most %v", took, 2*timeout+slack)
	}
	p.speak()
	err = db.Add(t.Context(), jobs)
	if !errors.As(err, &r) || fmt.Sprint(r.Rejected()["4b"]) == "" || len(r.Rejected()) != 1 {
		t.Fatalf("Add after the path is back = %v, want only 4b rejected", err)
	}
}
