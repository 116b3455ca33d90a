package dlq

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

func TestParseDSN(t *testing.T) {
	t.Parallel()
	const sqliteOpts = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate"
	tests := []struct {
		dsn     string
		backend backend
		driver  string
		wantErr string
	}{
		{dsn: "postgres://u@h:5432/db?sslmode=disable", backend: postgresBackend, driver: "postgres://u@h:5432/db?sslmode=disable"},
		{dsn: "PostgreSQL://h/db", backend: postgresBackend, driver: "PostgreSQL://h/db"},
		{dsn: "slaq.db", backend: sqliteBackend, driver: "slaq.db?" + sqliteOpts},
		{dsn: " /var/lib/slaq/dlq.db ", backend: sqliteBackend, driver: "/var/lib/slaq/dlq.db?" + sqliteOpts},
		{dsn: "sqlite://data/dlq.db", backend: sqliteBackend, driver: "data/dlq.db?" + sqliteOpts},
		{dsn: "sqlite:///abs/dlq.db", backend: sqliteBackend, driver: "/abs/dlq.db?" + sqliteOpts},
		{dsn: "file:dlq.db?cache=private", backend: sqliteBackend, driver: "file:dlq.db?cache=private&" + sqliteOpts},
		{dsn: "dlq.db?_pragma=busy_timeout(100)&_txlock=deferred", backend: sqliteBackend,
			driver: "dlq.db?_pragma=busy_timeout(100)&_txlock=deferred&_pragma=journal_mode(WAL)"},
		{dsn: "", wantErr: "empty DSN"},
		{dsn: "   ", wantErr: "empty DSN"},
		{dsn: "mysql://u@h/db", wantErr: `unsupported DSN scheme "mysql"`},
		{dsn: "redis://localhost:6379", wantErr: `unsupported DSN scheme "redis"`},
		{dsn: "sqlite://", wantErr: "names no file"},
		{dsn: "file:", wantErr: "names no file"},
		{dsn: ":memory:", wantErr: "in-memory"},
		{dsn: "file:x?mode=memory&cache=shared", wantErr: "in-memory"},
	}
	for _, tt := range tests {
		b, driver, err := parseDSN(tt.dsn)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseDSN(%q) = %v, want an error containing %q", tt.dsn, err, tt.wantErr)
			}
			continue
		}
		if err != nil || b != tt.backend || driver != tt.driver {
			t.Errorf("parseDSN(%q) = %v, %q, %v; want %v, %q, nil", tt.dsn, b, driver, err, tt.backend, tt.driver)
		}
	}
}

func TestOpenBadDSN(t *testing.T) {
	t.Parallel()
	missingDir := filepath.Join(t.TempDir(), "no", "such", "dir", "dlq.db")
	tests := []struct {
		name, dsn string
		wantErr   []string // each must appear in the error
	}{
		{"empty", "", []string{"dlq: open", "empty DSN"}},
		{"unknown scheme", "mysql://root@127.0.0.1/db", []string{"dlq: open", "unsupported DSN scheme"}},
		{"bad postgres url", "postgres://%zz@127.0.0.1/db", []string{"dlq: open postgres"}},
		{"bad postgres option", "postgres://127.0.0.1/db?connect_timeout=soon", []string{"dlq: open postgres", "connect_timeout"}},
		{"sqlite directory missing", missingDir, []string{"dlq: connect to sqlite " + missingDir}},
		{"sqlite bad option", filepath.Join(t.TempDir(), "x.db") + "?_txlock=sometimes", []string{"dlq: connect to sqlite", "_txlock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := Open(t.Context(), tt.dsn)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.dsn)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open(%q) = %q, want it to contain %q", tt.dsn, err, want)
				}
			}
		})
	}
}

// TestOpenUnreachablePostgres needs no PostgreSQL: it checks that Open gives up in bounded time
// with an error naming the server, both when nothing listens and when a listener never answers.
func TestOpenUnreachablePostgres(t *testing.T) {
	t.Parallel()
	// A listener that accepts connections and never speaks: only the connect timeout ends the wait.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	silentAddr := "127.0.0.1:" + strconv.Itoa(silent.Addr().(*net.TCPAddr).Port)

	tests := []struct {
		name, dsn string
		wantIn    string
		bound     time.Duration
	}{
		{"refused", "postgres://postgres@127.0.0.1:1/test?sslmode=disable", "127.0.0.1:1/test", 3 * time.Second},
		{"silent, DSN timeout", "postgres://postgres@" + silentAddr + "/test?sslmode=disable&connect_timeout=1",
			silentAddr, 1*time.Second + 2*time.Second},
		{"silent, default timeout", "postgres://postgres@" + silentAddr + "/test?sslmode=disable",
			silentAddr, DefaultConnectTimeout + 2*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The deadline only keeps a regression from hanging the test; Open must give up sooner.
			ctx, cancel := context.WithTimeout(t.Context(), tt.bound+3*time.Second)
			defer cancel()
			start := time.Now()
			db, err := Open(ctx, tt.dsn)
			elapsed := time.Since(start)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.dsn)
			}
			if want := "dlq: connect to postgres " + tt.wantIn; !strings.Contains(err.Error(), want) {
				t.Errorf("Open error %q, want it to contain %q", err, want)
			}
			if elapsed > tt.bound {
				t.Errorf("Open took %v to fail, want at most %v", elapsed, tt.bound)
			}
		})
	}
}

func TestEntryJSON(t *testing.T) {
	t.Parallel()
	e := Entry{ID: 7, JobID: "1x", Type: "otp", Tier: store.Critical, Payload: json.RawMessage(`{"to":"+1"}`),
		Error: "boom", Attempts: 5, MaxAttempts: 5, TimeoutMs: 1, BackoffMs: 2, UniqueKey: "k",
		UniqueTTLMs: 3, RetainMs: 4, CreatedAt: 5, StartedAt: 6, FailedAt: 8}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	want := `{"id":7,"job_id":"1x","type":"otp","tier":"CRITICAL","payload":{"to":"+1"},"error":"boom",` +
		`"attempts":5,"max_attempts":5,"timeout_ms":1,"backoff_ms":2,"unique_key":"k","unique_ttl_ms":3,` +
		`"retain_ms":4,"created_at":5,"started_at":6,"failed_at":8}`
	if string(b) != want {
		t.Errorf("Marshal:\n got  %s\n want %s", b, want)
	}
	var back Entry
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if back.Tier != e.Tier || back.JobID != e.JobID || string(back.Payload) != string(e.Payload) {
		t.Errorf("Unmarshal gave %+v, want %+v", back, e)
	}
	if _, err := json.Marshal(Entry{Tier: store.Low}); err != nil {
		t.Errorf("Marshal of an entry without payload: %v", err)
	}
}
