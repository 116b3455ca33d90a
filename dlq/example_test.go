package dlq_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/store"
)

// Open an SQLite dead-letter queue, add a dead job twice (as a crash between the engine's
// steps would) and list what it holds.
func Example() {
	dir, err := os.MkdirTemp("", "dlq-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := dlq.Open(ctx, filepath.Join(dir, "dead.db")) // or "postgres://user@host/db"
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	job := &store.Job{ID: "2abc", Type: "send_email", Tier: store.High, Payload: []byte(`{"to":"ops@example.com"}`),
		Attempts: 3, MaxAttempts: 3, FinishedAt: 1_764_000_000_000, LastError: "smtp: 550 mailbox unavailable"}
	for range 2 {
		if err := db.Add(ctx, []*store.Job{job}); err != nil {
			log.Fatal(err)
		}
	}
	entries, err := db.List(ctx, dlq.Filter{Tier: store.High})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.JobID, e.Type, e.Tier, e.Attempts, e.Error, string(e.Payload))
	}
	retry := entries[0].Job() // ready to enqueue again with fresh attempts
	fmt.Println(retry.ID, retry.State, retry.Attempts, retry.MaxAttempts)
	// Output:
	// 2abc send_email HIGH 3 smtp: 550 mailbox unavailable {"to":"ops@example.com"}
	// 2abc waiting 0 3
}

// Add stores what it can: a job the queue refuses is reported alone, through an interface the
// engine can name without importing dlq, and every other job counts as moved.
func ExampleDB_Add() {
	dir, err := os.MkdirTemp("", "dlq-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := dlq.Open(ctx, filepath.Join(dir, "dead.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	jobs := []*store.Job{
		{ID: "3ok", Type: "resize", Tier: store.Medium, Payload: []byte(`{}`), FinishedAt: 1_764_000_000_000},
		{ID: "3broken", Type: "resize", Tier: store.Medium, Payload: []byte(`{"w":`), FinishedAt: 1_764_000_000_000},
	}
	err = db.Add(ctx, jobs)
	var r interface{ Rejected() map[string]string }
	switch {
	case errors.As(err, &r):
		for id, reason := range r.Rejected() {
			fmt.Println("set aside", id+":", reason) // the others are moved
		}
	case err != nil:
		log.Fatal(err) // nothing is known to be moved: try the whole batch again later
	}
	n, err := db.Count(ctx, dlq.Filter{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored", n)
	// Output:
	// set aside 3broken: payload is not valid JSON
	// stored 1
}
