package slaq_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// A typed handler: the payload is decoded into a struct, and a payload that does not decode
// fails permanently. An observer sees every event of the job's life.
func ExampleJSONHandler() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "slaq-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "slaq.db"), sqlitestore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	type reset struct{ Email, Token string }
	mux := slaq.NewServeMux()
	mux.Handle("send_password_reset", slaq.JSONHandler(func(ctx context.Context, j *slaq.Job, p reset) error {
		if p.Email == "" {
			return slaq.Permanent(errors.New("no email"))
		}
		return nil
	}))
	done := make(chan struct{})
	trace := slaq.ObserverFunc(func(e slaq.Event) {
		switch e.Kind { // a worker may start the job before Enqueue returns, so "enqueued" can come after "started"
		case slaq.EventStarted:
			fmt.Println(e.Kind, e.Job.Type, e.Job.Tier)
		case slaq.EventCompleted:
			fmt.Println(e.Kind, e.Job.Type, e.Job.Tier)
			close(done)
		}
	})
	c, err := slaq.New(st, slaq.Config{Handler: mux, Observers: []slaq.Observer{trace}})
	if err != nil {
		panic(err)
	}
	if err := c.Start(ctx); err != nil {
		panic(err)
	}
	if _, err := c.Enqueue(ctx, "send_password_reset", reset{Email: "a@example.com", Token: "t"}, slaq.WithTier(slaq.Critical)); err != nil {
		panic(err)
	}
	<-done
	if err := c.Stop(ctx); err != nil {
		panic(err)
	}
	// Output:
	// started send_password_reset CRITICAL
	// completed send_password_reset CRITICAL
}
