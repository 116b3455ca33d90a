package dlq

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// MaxErrorBytes caps the error text [DB.Add] stores for a job: 64 KiB. A longer text keeps
// its head (a panic's message and innermost frames) and ends with a marker that says how long
// the whole text was.
const MaxErrorBytes = 64 << 10

// truncatedMarker starts the line that ends an error text cut to MaxErrorBytes.
const truncatedMarker = "[dlq: error text truncated"

// maxListedRejections is how many refused jobs a RejectedError's message names.
const maxListedRejections = 5

// RejectedError is returned by [DB.Add] when it stored every job given but those in Reasons,
// which the queue or the database refused. The engine, which does not import package dlq,
// finds it with errors.As and the interface{ Rejected() map[string]string }.
type RejectedError struct {
	Reasons map[string]string // job id -> why the job was refused
	Stored  int               // how many of the jobs given were stored
}

// Rejected returns the refused jobs' ids, each mapped to the reason it was refused.
func (e *RejectedError) Rejected() map[string]string { return e.Reasons }

// Error names the refused jobs (the first few, by id) and their reasons.
func (e *RejectedError) Error() string {
	ids := slices.Sorted(maps.Keys(e.Reasons))
	var b strings.Builder
	fmt.Fprintf(&b, "dlq: add: refused %d jobs, stored %d:", len(ids), e.Stored)
	for i, id := range ids {
		if i == maxListedRejections {
			fmt.Fprintf(&b, "; and %d more", len(ids)-i)
			break
		}
		sep := ";"
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, "%s job %q: %s", sep, id, e.Reasons[id])
	}
	return b.String()
}

// isDataError reports whether err is the database refusing a row's data, so that storing the
// other rows may still succeed: a PostgreSQL data exception (SQLSTATE class 22), integrity
// constraint violation (23) or exceeded program limit (54, e.g. an index row too large), or
// an SQLite constraint, size or type error. Connectivity errors, timeouts, ctx errors and
// every other server error are not.
func isDataError(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		class := pgErr.Code[:min(2, len(pgErr.Code))]
		return class == "22" || class == "23" || class == "54"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
			return true
		}
	}
	return false
}

// cleanError makes a job's error text storable: valid UTF-8 without NUL (see cleanText), at
// most MaxErrorBytes long.
func cleanError(s string) string {
	s = cleanText(s)
	if len(s) <= MaxErrorBytes {
		return s
	}
	tail := fmt.Sprintf("\n%s: %d bytes in all]", truncatedMarker, len(s))
	n := MaxErrorBytes - len(tail)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + tail
}
