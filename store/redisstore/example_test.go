package redisstore_test

import (
	"context"
	"log"
	"time"

	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/redisstore"
)

// Open the store from REDIS_URL (or REDIS_HOST/REDIS_PORT/REDIS_PASSWORD), enqueue a job and
// claim it as a worker would.
func ExampleNew() {
	ctx := context.Background()
	opts, err := redisstore.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	s, err := redisstore.New(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	now := time.Now().UnixMilli()
	job := &store.Job{ID: store.NewID(store.Critical, now), Type: "send_password_reset", Tier: store.Critical,
		Payload: []byte(`{"email":"a@example.com"}`), MaxAttempts: 5, TimeoutMs: 30_000, RunAt: now, CreatedAt: now}
	if _, err := s.Enqueue(ctx, now, []*store.Job{job}); err != nil {
		log.Fatal(err)
	}
	if err := s.Wait(ctx, store.Critical, time.Second); err != nil {
		log.Fatal(err)
	}
	res, err := s.Fetch(ctx, store.FetchRequest{Tier: store.Critical, Limit: 10, Now: time.Now().UnixMilli(), LeaseMs: 30_000})
	if err != nil {
		log.Fatal(err)
	}
	for _, j := range res.Jobs {
		log.Printf("claimed %s (%s)", j.ID, j.Type)
	}
}
