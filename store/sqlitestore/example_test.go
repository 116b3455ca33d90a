package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// Example opens a store, enqueues a job, claims it and completes it.
func Example() {
	dir, err := os.MkdirTemp("", "slaq-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, filepath.Join(dir, "slaq.db"), sqlitestore.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	const now = 1_700_000_000_000 // the engine passes the current time in Unix ms
	job := &store.Job{
		ID: store.NewID(store.Critical, now), Type: "send_otp", Tier: store.Critical,
		Payload: []byte(`{"phone":"+15550100"}`), MaxAttempts: 5, TimeoutMs: 10_000,
		RunAt: now, CreatedAt: now,
	}
	if _, err := s.Enqueue(ctx, now, []*store.Job{job}); err != nil {
		panic(err)
	}
	r, err := s.Fetch(ctx, store.FetchRequest{Tier: store.Critical, Limit: 10, Now: now, LeaseMs: 30_000})
	if err != nil {
		panic(err)
	}
	for _, j := range r.Jobs {
		fmt.Println("running", j.Type, string(j.Payload))
		if err := s.Ack(ctx, []store.Ack{{Kind: store.AckComplete, ID: j.ID, Now: now + 5}}); err != nil {
			panic(err)
		}
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", counts[store.Critical.Index()])
	// Output:
	// running send_otp {"phone":"+15550100"}
	// {Waiting:0 Active:0 Completed:1 Failed:0 Delayed:0 Paused:false}
}
