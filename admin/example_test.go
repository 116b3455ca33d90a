package admin_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// Mount the admin API in an application's own server, next to its routes.
func Example() {
	dir, _ := os.MkdirTemp("", "slaq-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "slaq.db"), sqlitestore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	dead, err := dlq.Open(ctx, filepath.Join(dir, "dead-letters.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer dead.Close()
	client, _ := slaq.New(st, slaq.Config{DeadLetters: dead})

	api, err := admin.New(admin.Options{Client: client, DeadLetters: dead, Tokens: []string{os.Getenv("ADMIN_TOKEN"), "example-token"}})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/jobs/", api) // every admin route is under /api/jobs
	mux.Handle("/api/jobs", api)
	srv := httptest.NewServer(mux) // in an application: http.ListenAndServe(":4000", mux)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/api/jobs/pause", strings.NewReader(`{"priority": 5}`))
	req.Header.Set("Authorization", "Bearer example-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output: 200 {"success":true,"tier":"BATCH","priority":5,"paused":true}
}
