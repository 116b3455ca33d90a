package dlq

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// defaultTestDatabaseURL is the PostgreSQL the tests use unless SLAQ_TEST_DATABASE_URL names another.
const defaultTestDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testBackend opens a fresh, empty dead-letter queue database of one kind for one test and
// returns its DSN; the database disappears when the test ends.
type testBackend struct {
	name string
	dsn  func(t *testing.T) string
}

// testBackends are the backends every shared case runs against.
var testBackends = []testBackend{
	{"sqlite", sqliteTestDSN},
	{"postgres", postgresTestDSN},
}

// sqliteTestDSN returns a file in the test's temporary directory.
func sqliteTestDSN(t *testing.T) string {
	return filepath.Join(t.TempDir(), "dlq.db")
}

// testDatabaseURL is the PostgreSQL server the tests use.
func testDatabaseURL() string {
	if u := os.Getenv("SLAQ_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultTestDatabaseURL
}

// adminDB connects once to the test PostgreSQL server, to create and drop schemas.
var adminDB = sync.OnceValues(func() (*sql.DB, error) {
	db, err := sql.Open("pgx", testDatabaseURL()) // driver registered by pgx/v5/stdlib, which dlq imports
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
})

// requirePostgres returns the admin connection, failing the test under CI=true and skipping it
// otherwise when PostgreSQL is unreachable.
func requirePostgres(t *testing.T) *sql.DB {
	t.Helper()
	db, err := adminDB()
	if err == nil {
		return db
	}
	msg := "PostgreSQL at " + testDatabaseURL() + " is unreachable (" + err.Error() + "). " +
		"Start one with trust auth and a database named test, e.g. " +
		"`docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:15`, " +
		"or set SLAQ_TEST_DATABASE_URL"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPING POSTGRES TESTS: " + msg)
	return nil
}

// postgresTestDSN creates a uniquely named schema, drops it when the test ends and returns a
// DSN whose search_path is that schema.
func postgresTestDSN(t *testing.T) string {
	t.Helper()
	admin := requirePostgres(t)
	var b [8]byte
	rand.Read(b[:])
	schema := "dlq_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(testDatabaseURL())
	if err != nil {
		t.Fatalf("parse %s: %v", testDatabaseURL(), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openTest opens the DSN and closes the DB when the test ends.
// testQueryTimeout bounds each call in the behaviour tests: far above DefaultQueryTimeout,
// because a 20,000-row purge under -race on a loaded 2-core machine can take seconds, and
// these tests check what calls do, not how fast (the timeout tests set their own).
const testQueryTimeout = 60 * time.Second

func openTest(t *testing.T, dsn string) *DB {
	t.Helper()
	db, err := OpenWith(t.Context(), dsn, Options{QueryTimeout: testQueryTimeout})
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}
