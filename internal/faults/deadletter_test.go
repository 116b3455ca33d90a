package faults_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/internal/faults"
	"github.com/slaqhq/slaq/internal/testenv"
)

// TestDeadLetterDatabaseOutage dead-letters 300 jobs into PostgreSQL behind a TCP proxy
// and cuts the proxy (dropping its connections) once a tenth of the rows are written, while
// the first third still moves; the other two thirds fail while it is down. The
// jobs keep failing and wait in the store; once the database answers again every one has
// exactly one row and EventDeadLettered fired once per job.
func TestDeadLetterDatabaseOutage(t *testing.T) {
	t.Parallel()
	const n = 300
	px := testenv.NewProxy(t, "127.0.0.1:5432")
	dead := testenv.OpenDLQ(t, pgDSN(t, px.Addr()))
	st := testenv.RedisStore(t)
	var (
		mu    sync.Mutex
		moved = make(map[string]int)
	)
	mux := slaq.NewServeMux()
	mux.HandleFunc("doomed", func(ctx context.Context, j *slaq.Job) error {
		return slaq.Permanent(errors.New("card declined"))
	})
	c, err := slaq.New(st, slaq.Config{Handler: mux, DeadLetters: dead, DeadLetterRetry: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
		Observers: []slaq.Observer{slaq.ObserverFunc(func(e slaq.Event) {
			if e.Kind == slaq.EventDeadLettered {
				mu.Lock()
				moved[e.Job.ID]++
				mu.Unlock()
			}
		})}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	var ids []string
	enqueue := func(k int) {
		reqs := make([]slaq.Request, k)
		for i := range reqs {
			reqs[i] = slaq.Request{Type: "doomed", Payload: map[string]int{"i": len(ids) + i}, Options: []slaq.Option{slaq.WithTier(slaq.High)}}
		}
		got, err := c.EnqueueBulk(ctx, reqs)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	enqueue(n / 3)
	rows := func() int64 {
		k, err := dead.Count(ctx, dlq.Filter{})
		if err != nil {
			return -1
		}
		return k
	}
	testenv.PollUntil(t, time.Minute, "the first tenth dead-lettered", func() bool { return rows() >= n/10 })
	px.SetUp(false) // while the first third is still moving
	enqueue(n - n/3)
	testenv.PollUntil(t, time.Minute, "every job to fail while the database is down", func() bool {
		m, err := c.Metrics(ctx)
		return err == nil && m["HIGH"].Waiting+m["HIGH"].Active == 0
	})
	testenv.PollUntil(t, time.Minute, "the mover to try the database", func() bool { return px.Refused() > 0 })
	px.SetUp(true)
	back := time.Now()
	testenv.PollUntil(t, time.Minute, "every dead letter written", func() bool { return rows() == n })
	recovered := time.Since(back)
	testenv.PollUntil(t, 10*time.Second, "every EventDeadLettered", func() bool { mu.Lock(); defer mu.Unlock(); return len(moved) == n })
	lost, dup := 0, 0
	for _, id := range ids {
		if _, err := dead.Get(ctx, id); err != nil {
			lost++
		}
	}
	mu.Lock()
	for _, k := range moved {
		if k > 1 {
			dup++
		}
	}
	mu.Unlock()
	if r := rows(); r != n {
		dup += int(r) - n
	}
	summary.Add(faults.Row{Scenario: "postgres cut while dead-lettering", Jobs: n, Lost: lost, Duplicated: dup, Recovery: recovered,
		Note: fmt.Sprintf("database back → all %d rows; %d connections refused while down", n, px.Refused())})
	if lost > 0 || dup > 0 {
		t.Errorf("%d dead letters lost, %d duplicated (rows or events)", lost, dup)
	}
}
