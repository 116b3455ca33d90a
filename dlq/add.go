package dlq

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slaqhq/slaq/store"
)

// upsertSQL writes one dead job. On a job id already present it rewrites that row in place
// (same row id) with the job as given: the idempotency that makes moving a job crash-safe.
// Both SQLite and PostgreSQL take this text as is, $n placeholders included.
const upsertSQL = `INSERT INTO failed_jobs (job_id, type, tier, payload, payload_bytes, error, attempts,
	max_attempts, timeout_ms, backoff_ms, unique_key, unique_ttl_ms, retain_ms, created_at, started_at, failed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
ON CONFLICT (job_id) DO UPDATE SET
	type = excluded.type, tier = excluded.tier, payload = excluded.payload,
	payload_bytes = excluded.payload_bytes, error = excluded.error,
	attempts = excluded.attempts, max_attempts = excluded.max_attempts,
	timeout_ms = excluded.timeout_ms, backoff_ms = excluded.backoff_ms,
	unique_key = excluded.unique_key, unique_ttl_ms = excluded.unique_ttl_ms,
	retain_ms = excluded.retain_ms, created_at = excluded.created_at,
	started_at = excluded.started_at, failed_at = excluded.failed_at`

// Add writes dead jobs to the queue. It is idempotent on the job id: a job already in the
// queue has its row updated in place (error, attempts, failed_at and every other column take
// the values given) instead of gaining a second row, so the engine may add a job again after a
// crash. FailedAt is the job's FinishedAt.
//
// One job the queue refuses never keeps the others out. Add refuses a job without a type, a
// valid tier or a FinishedAt, or whose payload is neither empty nor valid JSON; the database
// may refuse others (PostgreSQL: a job id, type or unique key holding NUL or invalid UTF-8, a
// type too long for its index). The jobs go in in one transaction; if the database refuses a
// row, Add stores the jobs one by one. When it refused some jobs and stored all the others,
// Add returns a [*RejectedError]: errors.As(err, &r) holds for r of type
// interface{ Rejected() map[string]string }, which maps each refused job's id to the reason.
// The caller should consider every other job moved and set the refused ones aside. Any other
// error (connectivity, timeout, ctx, a nil job or a job without an id) means nothing is known
// to be stored, and none is reported as rejected: some jobs may be stored already, and adding
// the batch again is safe.
//
// Add keeps the type, the payload and every other field byte for byte where the column allows
// it (a payload that is not UTF-8 goes to payload_bytes, see the package documentation). The
// error text alone is made storable: invalid UTF-8 and NUL bytes become U+FFFD, and a text
// longer than [MaxErrorBytes] is cut to that length, ending with a marker.
func (db *DB) Add(ctx context.Context, jobs []*store.Job) error {
	rejected := map[string]string{}
	rows := make([]row, 0, len(jobs))
	for i, j := range jobs {
		switch {
		case j == nil:
			return fmt.Errorf("dlq: add: job %d is nil", i)
		case j.ID == "":
			return fmt.Errorf("dlq: add: job %d has an empty job id", i)
		}
		if reason := checkJob(j); reason != "" {
			rejected[j.ID] = reason
			continue
		}
		rows = append(rows, newRow(j))
	}
	if len(rows) > 0 {
		if err := db.addBatch(ctx, rows); err != nil {
			if !isDataError(err) {
				return fmt.Errorf("dlq: add %d jobs to %s: %w", len(rows), db.where, err)
			}
			if err := db.addEach(ctx, rows, rejected); err != nil {
				return err
			}
		}
	}
	if len(rejected) > 0 {
		return &RejectedError{Reasons: rejected, Stored: len(jobs) - len(rejected)}
	}
	return nil
}

// addBatch writes rows in one transaction, under one query timeout.
func (db *DB) addBatch(ctx context.Context, rows []row) error {
	qctx, cancel := db.bound(ctx)
	defer cancel()
	tx, err := db.sql.BeginTx(qctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", db.failed(ctx, qctx, err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// No tx.Prepare: pgx caches the statement by itself, and closing a prepared statement
	// talks to the server under a timeout of pgx's, not ours, which a silent server outlasts.
	for _, r := range rows {
		if _, err := tx.ExecContext(qctx, upsertSQL, r.args()...); err != nil {
			return fmt.Errorf("job %q: %w", r.id, db.failed(ctx, qctx, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", db.failed(ctx, qctx, err))
	}
	return nil
}

// addEach writes rows one statement each, each under its own query timeout, recording in
// rejected the rows the database refuses. Any other error ends it and is returned.
func (db *DB) addEach(ctx context.Context, rows []row, rejected map[string]string) error {
	for i, r := range rows {
		qctx, cancel := db.bound(ctx)
		_, err := db.sql.ExecContext(qctx, upsertSQL, r.args()...)
		err = db.failed(ctx, qctx, err)
		cancel()
		switch {
		case err == nil:
		case isDataError(err):
			rejected[r.id] = err.Error()
		default:
			return fmt.Errorf("dlq: add job %q to %s (one by one, after %d of %d): %w",
				r.id, db.where, i, len(rows), err)
		}
	}
	return nil
}

// row is one job as upsertSQL stores it.
type row struct {
	id           string
	job          *store.Job
	payload      string // the payload, or its readable copy when payloadBytes is set
	payloadBytes any    // nil (NULL), or the payload's exact bytes when it is not UTF-8
	errText      string // the job's LastError made storable
}

// newRow prepares j, which checkJob accepted, for upsertSQL.
func newRow(j *store.Job) row {
	r := row{id: j.ID, job: j, payload: string(j.Payload), errText: cleanError(j.LastError)}
	if !isText(r.payload) {
		r.payload = cleanText(r.payload)
		r.payloadBytes = []byte(j.Payload)
	}
	return r
}

// args returns upsertSQL's arguments for r.
func (r row) args() []any {
	j := r.job
	return []any{j.ID, j.Type, int64(j.Tier), r.payload, r.payloadBytes, r.errText,
		j.Attempts, j.MaxAttempts, j.TimeoutMs, j.BackoffMs, j.UniqueKey, j.UniqueTTLMs,
		j.RetainMs, j.CreatedAt, j.StartedAt, j.FinishedAt}
}

// checkJob says what makes j unfit for the queue, or "" when nothing does.
func checkJob(j *store.Job) string {
	switch {
	case j.Type == "":
		return "empty type"
	case !j.Tier.Valid():
		return fmt.Sprintf("invalid tier %d", j.Tier)
	case j.FinishedAt <= 0:
		return "no FinishedAt: a dead job needs the time it failed"
	case len(j.Payload) > 0 && !json.Valid(j.Payload):
		return "payload is not valid JSON"
	}
	return ""
}

// isText reports whether s can be stored in a text column of either backend as is: valid
// UTF-8 without NUL bytes.
func isText(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\x00")
}

// cleanText makes s storable as text in both backends: invalid UTF-8 and NUL bytes become U+FFFD.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
