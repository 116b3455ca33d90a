// Command tiers is slaq's tour: it puts work into all five tiers on the embedded store, shows
// a retry and a dead letter, prints the metrics, and exits.
//
//	go run ./examples/tiers
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "slaq-tour-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "slaq.db")

	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	dead, err := dlq.Open(ctx, path) // the dead-letter table lives in the same file
	if err != nil {
		return err
	}
	defer dead.Close()

	var flaky atomic.Int32
	done := make(chan string, 16)
	mux := slaq.NewServeMux()
	work := func(name string) func(context.Context, *slaq.Job) error {
		return func(ctx context.Context, j *slaq.Job) error {
			fmt.Printf("%-9s %-22s attempt %d\n", j.Tier, name, j.Attempts+1)
			done <- j.ID
			return nil
		}
	}
	mux.HandleFunc("send_password_reset", work("send_password_reset"))
	mux.HandleFunc("process_payment", func(ctx context.Context, j *slaq.Job) error {
		if flaky.Add(1) == 1 {
			fmt.Printf("%-9s %-22s attempt %d: gateway timeout, will retry\n", j.Tier, "process_payment", j.Attempts+1)
			return errors.New("gateway timeout")
		}
		return work("process_payment")(ctx, j)
	})
	mux.HandleFunc("send_email", work("send_email"))
	mux.HandleFunc("generate_report", work("generate_report"))
	mux.HandleFunc("cleanup_old_logs", work("cleanup_old_logs"))
	mux.HandleFunc("sync_wallet", func(ctx context.Context, j *slaq.Job) error {
		fmt.Printf("%-9s %-22s attempt %d: wallet not found, permanent failure\n", j.Tier, "sync_wallet", j.Attempts+1)
		return slaq.Permanent(errors.New("wallet not found"))
	})

	deadLettered := make(chan *slaq.Job, 1)
	c, err := slaq.New(st, slaq.Config{
		Handler:     mux,
		DeadLetters: dead,
		Observers: []slaq.Observer{slaq.ObserverFunc(func(e slaq.Event) {
			if e.Kind == slaq.EventDeadLettered {
				deadLettered <- e.Job
			}
		})},
		Tiers: map[slaq.Tier]slaq.TierConfig{slaq.High: {Backoff: 100 * time.Millisecond}},
	})
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return err
	}
	jobs := []struct {
		typ  string
		tier slaq.Tier
	}{
		{"send_password_reset", slaq.Critical},
		{"process_payment", slaq.High},
		{"send_email", slaq.Medium},
		{"generate_report", slaq.Low},
		{"cleanup_old_logs", slaq.Batch},
		{"sync_wallet", slaq.Medium},
	}
	for _, j := range jobs {
		if _, err := c.Enqueue(ctx, j.typ, map[string]string{"demo": j.typ}, slaq.WithTier(j.tier)); err != nil {
			return err
		}
	}
	timeout := time.After(10 * time.Second)
	for range 5 {
		select {
		case <-done:
		case <-timeout:
			return errors.New("jobs did not finish in 10 s")
		}
	}
	select {
	case j := <-deadLettered:
		fmt.Printf("dead letter: %s (%s) after %d attempt(s): %s\n", j.Type, j.ID, j.Attempts, j.LastError)
	case <-timeout:
		return errors.New("no dead letter in 10 s")
	}
	if err := c.Stop(ctx); err != nil {
		return err
	}
	n, err := dead.Count(ctx, dlq.Filter{})
	if err != nil {
		return err
	}
	fmt.Printf("failed_jobs rows: %d\n\n%-9s %7s %6s %9s %6s %7s %5s %8s\n", n, "tier", "waiting", "active", "completed", "failed", "delayed", "total", "p99 ms")
	m, err := c.Metrics(ctx)
	if err != nil {
		return err
	}
	for _, t := range store.Tiers {
		tm := m[t.String()]
		fmt.Printf("%-9s %7d %6d %9d %6d %7d %5d %8.2f\n", t, tm.Waiting, tm.Active, tm.Completed, tm.Failed, tm.Delayed, tm.Total, tm.Latency.P99)
	}
	return nil
}
