package slaq_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// A client on the embedded store: a handler per job type, a job in the CRITICAL tier, and
// its status once done.
func Example() {
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

	done := make(chan struct{})
	mux := slaq.NewServeMux()
	mux.HandleFunc("send_otp", func(ctx context.Context, j *slaq.Job) error {
		fmt.Printf("sending OTP %s in tier %s\n", j.Payload, j.Tier)
		j.Result = []byte(`{"sent":true}`)
		close(done)
		return nil
	})
	c, err := slaq.New(st, slaq.Config{Handler: mux})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	id, err := c.Enqueue(ctx, "send_otp", map[string]string{"code": "123456"}, slaq.WithTier(slaq.Critical))
	if err != nil {
		log.Fatal(err)
	}
	<-done
	if err := c.Stop(ctx); err != nil { // graceful: waits for the outcome to be recorded
		log.Fatal(err)
	}
	j, err := c.Job(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(j.State, string(j.Result))
	// Output:
	// sending OTP {"code":"123456"} in tier CRITICAL
	// completed {"sent":true}
}
