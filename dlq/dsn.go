package dlq

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// backend is the kind of database a DSN names.
type backend uint8

const (
	sqliteBackend backend = iota + 1
	postgresBackend
)

// String returns the backend's name, which is also the folder of its migrations.
func (b backend) String() string {
	if b == postgresBackend {
		return "postgres"
	}
	return "sqlite"
}

// parseDSN tells which backend dsn names and returns the DSN its database/sql driver takes.
//
//   - "postgres://..." and "postgresql://..." name PostgreSQL and are passed on unchanged.
//   - "sqlite://PATH", "file:PATH" (an SQLite URI) and a bare PATH name an SQLite file; the
//     driver DSN gets the busy timeout, WAL journal and immediate transactions unless the DSN
//     sets them itself.
//
// Anything else with a "scheme://" prefix, an empty DSN and an in-memory SQLite database (which
// database/sql's pool would split into several unrelated databases) are errors.
func parseDSN(dsn string) (backend, string, error) {
	dsn = strings.TrimSpace(dsn)
	lower := strings.ToLower(dsn)
	switch {
	case dsn == "":
		return 0, "", errors.New("empty DSN: want an SQLite file path or a postgres:// URL")
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return postgresBackend, dsn, nil
	case strings.HasPrefix(lower, "sqlite://"):
		dsn = dsn[len("sqlite://"):]
	case strings.HasPrefix(lower, "file:"):
		// An SQLite URI: the driver hands it to SQLite whole.
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return 0, "", fmt.Errorf("unsupported DSN scheme %q: want postgres://, postgresql://, sqlite:// or a file path", scheme)
	}
	path, query, _ := strings.Cut(dsn, "?")
	path = strings.TrimPrefix(path, "file:")
	switch {
	case path == "":
		return 0, "", fmt.Errorf("SQLite DSN %q names no file", dsn)
	case path == ":memory:", strings.Contains(query, "mode=memory"):
		return 0, "", fmt.Errorf("SQLite DSN %q is an in-memory database: the dead-letter queue needs a file", dsn)
	}
	return sqliteBackend, withSQLiteDefaults(dsn, query), nil
}

// withSQLiteDefaults appends the connection settings the dead-letter queue relies on to an
// SQLite DSN, skipping each one its query already sets.
func withSQLiteDefaults(dsn, query string) string {
	defaults := []struct{ key, param string }{
		{"busy_timeout", "_pragma=busy_timeout(" + strconv.FormatInt(DefaultBusyTimeout.Milliseconds(), 10) + ")"},
		{"journal", "_pragma=journal_mode(WAL)"},
		{"_txlock", "_txlock=immediate"},
	}
	lowerQuery := strings.ToLower(query)
	for _, d := range defaults {
		if strings.Contains(lowerQuery, d.key) {
			continue
		}
		sep := "&"
		if !strings.Contains(dsn, "?") {
			sep = "?"
		}
		dsn += sep + d.param
	}
	return dsn
}
