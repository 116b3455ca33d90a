package faults_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/faults"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// TestEmbeddedStoreCrash SIGKILLs a process that enqueues into the embedded store as fast
// as it can (8 goroutines; it prints each id once Enqueue returned), then reopens the file
// and runs its jobs: every acknowledged job runs, and none runs twice.
func TestEmbeddedStoreCrash(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "slaq.db")
	const ackTarget = 3000
	ch := startChild(t, "enqueuer", path)
	testenv.PollUntil(t, time.Minute, fmt.Sprintf("%d acknowledged enqueues", ackTarget), func() bool {
		return len(ch.output("ack ")) >= ackTarget
	})
	ch.kill(t)
	acked := ch.output("ack ")
	if errs := ch.output("error "); len(errs) > 0 {
		t.Fatalf("the enqueuer failed %d times before the kill: %s", len(errs), errs[0])
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reopened := time.Now()
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var (
		mu   sync.Mutex
		runs = make(map[string]int)
	)
	mux := slaq.NewServeMux()
	mux.HandleFunc("crash", func(ctx context.Context, j *slaq.Job) error {
		mu.Lock()
		runs[j.ID]++
		mu.Unlock()
		return nil
	})
	c, err := slaq.New(st, slaq.Config{Handler: mux, Logger: slog.New(slog.DiscardHandler), Retention: slaq.None,
		Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Low: {Workers: 8, MaxWorkers: slaq.None}, slaq.Batch: {Workers: 8, MaxWorkers: slaq.None}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	lost := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, id := range acked {
			if runs[id] == 0 {
				n++
			}
		}
		return n
	}
	testenv.PollUntil(t, time.Minute, "every acknowledged job to run", func() bool { return lost() == 0 })
	recovered := time.Since(reopened)
	testenv.PollUntil(t, time.Minute, "the store to drain", func() bool {
		m, err := c.Metrics(ctx)
		if err != nil {
			return false
		}
		for _, tm := range m {
			if tm.Waiting+tm.Active+tm.Delayed > 0 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	dup, extra := 0, len(runs)-len(acked)
	for _, n := range runs {
		if n > 1 {
			dup++
		}
	}
	mu.Unlock()
	summary.Add(faults.Row{Scenario: "embedded store: enqueuer SIGKILL", Jobs: len(acked), Lost: 0, Duplicated: dup,
		Recovery: recovered, Note: fmt.Sprintf("reopen → every acknowledged job ran; %d stored but unacknowledged also ran", extra)})
	if dup > 0 {
		t.Errorf("%d jobs ran twice", dup)
	}
	t.Logf("%d acknowledged jobs all ran once (%d more were stored before the kill but not acknowledged)", len(acked), extra)
}
