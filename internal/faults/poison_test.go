package faults_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/internal/faults"
	"github.com/slaqhq/slaq/internal/testenv"
)

// TestPoisonJobs runs handlers that panic, hang past their timeout ignoring ctx, return an
// 8 MiB error, or allocate 256 MiB: each job is retried, then dead-lettered; the process and
// its workers survive (a plain job still runs after them); the live heap after a GC comes
// back to within 64 MiB of where it started.
func TestPoisonJobs(t *testing.T) {
	st := testenv.RedisStore(t)
	dead := testenv.SQLiteDLQ(t)
	hung := make(chan struct{})
	t.Cleanup(func() { close(hung) })
	mux := slaq.NewServeMux()
	mux.HandleFunc("panic", func(ctx context.Context, j *slaq.Job) error { panic("poison: nil map write") })
	mux.HandleFunc("hang", func(ctx context.Context, j *slaq.Job) error { <-hung; return nil }) // ignores ctx
	mux.HandleFunc("huge_error", func(ctx context.Context, j *slaq.Job) error {
		return errors.New(strings.Repeat("x", 8<<20))
	})
	mux.HandleFunc("allocate", func(ctx context.Context, j *slaq.Job) error {
		var keep [][]byte
		for range 256 {
			b := make([]byte, 1<<20)
			b[len(b)-1] = 1
			keep = append(keep, b)
		}
		return fmt.Errorf("allocated %d MiB and gave up", len(keep))
	})
	mux.HandleFunc("plain", func(ctx context.Context, j *slaq.Job) error { return nil })
	const attempts = 2
	c, err := slaq.New(st, slaq.Config{Handler: mux, DeadLetters: dead, Retention: slaq.None, Logger: slog.New(slog.DiscardHandler),
		Tiers: map[slaq.Tier]slaq.TierConfig{slaq.High: {Lease: time.Second, Backoff: slaq.None, MaxAttempts: attempts, Timeout: 200 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	before := faults.LiveHeap()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	types := []string{"panic", "hang", "huge_error", "allocate"}
	var ids []string
	for _, typ := range types {
		for range 3 {
			id, err := c.Enqueue(ctx, typ, nil, slaq.WithTier(slaq.High))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
	}
	began := time.Now()
	testenv.PollUntil(t, time.Minute, "every poison job dead-lettered", func() bool {
		n, err := dead.Count(ctx, dlq.Filter{})
		return err == nil && n == int64(len(ids))
	})
	took := time.Since(began)
	for _, id := range ids {
		e, err := dead.Get(ctx, id)
		if err != nil {
			t.Fatalf("dead letter %s: %v", id, err)
		}
		if e.Attempts != attempts {
			t.Errorf("%s (%s) dead-lettered after %d attempts; want %d", id, e.Type, e.Attempts, attempts)
		}
		if len(e.Error) > 1<<20 {
			t.Logf("%s: its last error is stored whole: %d bytes", e.Type, len(e.Error))
		}
	}
	// The workers survived: a plain job still runs.
	id, err := c.Enqueue(ctx, "plain", nil, slaq.WithTier(slaq.High))
	if err != nil {
		t.Fatal(err)
	}
	testenv.PollUntil(t, 30*time.Second, "a plain job to run after the poison", func() bool {
		_, err := c.Job(ctx, id)
		return errors.Is(err, slaq.ErrNotFound) // completed and deleted (Retention None)
	})
	m, err := c.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m["HIGH"].Workers != slaq.DefaultTierConfig(slaq.High).Workers {
		t.Errorf("HIGH has %d workers after the poison jobs", m["HIGH"].Workers)
	}
	after := faults.LiveHeap()
	summary.Add(faults.Row{Scenario: "poison: panic/hang/8MiB error/256MiB", Jobs: len(ids), Lost: 0, Duplicated: 0, Recovery: 0,
		Note: fmt.Sprintf("all dead-lettered after %d attempts in %s; live heap %.1f → %.1f MiB", attempts, took.Round(time.Millisecond),
			float64(before)/(1<<20), float64(after)/(1<<20))})
	if after > before+64<<20 {
		t.Errorf("live heap grew from %.1f to %.1f MiB", float64(before)/(1<<20), float64(after)/(1<<20))
	}
}
