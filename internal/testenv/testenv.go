// Package testenv gives tests of slaq's operational packages (admin, internal/server,
// cmd/slaq) the real components they run against: a Redis store under a fresh key prefix,
// an embedded store and an SQLite dead-letter queue in the test's temporary directory, and a
// dead-letter queue in a fresh PostgreSQL schema. Each is removed when the test ends. A test
// that cannot reach Redis or PostgreSQL fails under CI=true and is skipped otherwise.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/store/redisstore"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// Defaults of the servers the tests use; SLAQ_TEST_REDIS_ADDR and SLAQ_TEST_DATABASE_URL
// override them.
const (
	DefaultRedisAddr   = "127.0.0.1:6379"
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

// RedisAddr is the Redis server of the tests.
func RedisAddr() string {
	if a := os.Getenv("SLAQ_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return DefaultRedisAddr
}

// DatabaseURL is the PostgreSQL server of the tests.
func DatabaseURL() string {
	if u := os.Getenv("SLAQ_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultDatabaseURL
}

// unavailable fails the test under CI=true and skips it otherwise.
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPING: " + msg)
}

// Unique returns a name no other test uses: prefix followed by 12 hex digits.
func Unique(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// RequireRedis checks that Redis answers.
func RequireRedis(t testing.TB) {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{RedisAddr()}, DisableCache: true,
		Dialer: netDialer()})
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = c.Do(ctx, c.B().Ping().Build()).Error()
		cancel()
		c.Close()
	}
	if err != nil {
		unavailable(t, "no Redis at "+RedisAddr()+" ("+err.Error()+"); start one with: redis-server --port 6379 --save '' --appendonly no")
	}
}

// RedisPrefix returns a fresh key prefix and deletes its keys when the test ends.
func RedisPrefix(t testing.TB) string {
	t.Helper()
	RequireRedis(t)
	prefix := Unique("slaqtest-")
	t.Cleanup(func() { DeleteRedisKeys(t, prefix) })
	return prefix
}

// RedisStore opens a Redis store under a fresh prefix, closed and emptied when the test ends.
func RedisStore(t testing.TB) *redisstore.Store {
	t.Helper()
	prefix := RedisPrefix(t)
	s, err := redisstore.New(context.Background(), redisstore.Options{Addrs: []string{RedisAddr()}, Prefix: prefix})
	if err != nil {
		t.Fatalf("redisstore.New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// DeleteRedisKeys deletes every key of prefix with SCAN (never FLUSHDB: the server is shared).
func DeleteRedisKeys(t testing.TB, prefix string) {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{RedisAddr()}, DisableCache: true, Dialer: netDialer()})
	if err != nil {
		t.Errorf("cleanup: connect: %v", err)
		return
	}
	defer c.Close()
	ctx := context.Background()
	var cursor uint64
	for {
		e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match("{"+prefix+":*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Errorf("cleanup: scan: %v", err)
			return
		}
		for _, k := range e.Elements {
			if err := c.Do(ctx, c.B().Unlink().Key(k).Build()).Error(); err != nil {
				t.Errorf("cleanup: unlink %s: %v", k, err)
				return
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return
		}
	}
}

// SQLiteStore opens an embedded store in the test's temporary directory.
func SQLiteStore(t testing.TB) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "slaq.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatalf("sqlitestore.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// SQLiteDLQ opens a dead-letter queue in an SQLite file of the test's temporary directory.
func SQLiteDLQ(t testing.TB) *dlq.DB {
	t.Helper()
	return OpenDLQ(t, filepath.Join(t.TempDir(), "dead-letters.db"))
}

// OpenDLQ opens the dead-letter queue at dsn, closed when the test ends.
func OpenDLQ(t testing.TB, dsn string) *dlq.DB {
	t.Helper()
	db, err := dlq.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("dlq.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// adminDB connects once to the test PostgreSQL server, to create and drop schemas.
var adminDB = sync.OnceValues(func() (*sql.DB, error) {
	db, err := sql.Open("pgx", DatabaseURL()) // driver registered by pgx/v5/stdlib, which dlq imports
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

// PostgresDSN creates a fresh schema, dropped when the test ends, and returns a DSN whose
// search_path is that schema.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin, err := adminDB()
	if err != nil {
		unavailable(t, "PostgreSQL at "+DatabaseURL()+" is unreachable ("+err.Error()+")")
	}
	schema := Unique("slaq_test_")
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(DatabaseURL())
	if err != nil {
		t.Fatalf("parse %s: %v", DatabaseURL(), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// PostgresDLQ opens a dead-letter queue in a fresh PostgreSQL schema.
func PostgresDLQ(t testing.TB) *dlq.DB {
	t.Helper()
	return OpenDLQ(t, PostgresDSN(t))
}

// PollUntil calls cond every few ms until it holds, failing the test after deadline.
func PollUntil(t testing.TB, deadline time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("after %s: still waiting for %s", deadline, what)
		}
		<-tick.C
	}
}

// netDialer bounds connecting to the test Redis.
func netDialer() net.Dialer { return net.Dialer{Timeout: 2 * time.Second} }
