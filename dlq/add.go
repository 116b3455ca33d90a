package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slaqhq/slaq/store"
)

// upsertSQL writes one dead job. On a job id already present it rewrites that row in place
// (same row id) with the job as given: the idempotency that makes moving a job crash-safe.
// Both SQLite and PostgreSQL take this text as is, $n placeholders included.
const upsertSQL = `INSERT INTO failed_jobs (job_id, type, tier, payload, error, attempts, max_attempts,
	timeout_ms, backoff_ms, unique_key, unique_ttl_ms, retain_ms, created_at, started_at, failed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (job_id) DO UPDATE SET
	type = excluded.type, tier = excluded.tier, payload = excluded.payload, error = excluded.error,
	attempts = excluded.attempts, max_attempts = excluded.max_attempts,
	timeout_ms = excluded.timeout_ms, backoff_ms = excluded.backoff_ms,
	unique_key = excluded.unique_key, unique_ttl_ms = excluded.unique_ttl_ms,
	retain_ms = excluded.retain_ms, created_at = excluded.created_at,
	started_at = excluded.started_at, failed_at = excluded.failed_at`

// Add writes dead jobs to the queue in one transaction: all of them or, on error, none. It is
// idempotent on the job id: a job already in the queue has its row updated in place (error,
// attempts, failed_at and every other column take the values given) instead of gaining a second
// row, so the engine may add a job again after a crash. FailedAt is the job's FinishedAt.
//
// Each job needs an id, a type, a valid tier, a FinishedAt and a payload that is empty or valid
// UTF-8 JSON; otherwise Add writes nothing and says which job is wrong. The error text is kept
// whole, except that NUL bytes and invalid UTF-8 (which PostgreSQL refuses) become U+FFFD.
func (db *DB) Add(ctx context.Context, jobs []*store.Job) error {
	for i, j := range jobs {
		if err := checkJob(j); err != nil {
			return fmt.Errorf("dlq: add: job %d: %w", i, err)
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("dlq: add %d jobs to %s: begin: %w", len(jobs), db.where, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	stmt, err := tx.PrepareContext(ctx, upsertSQL)
	if err != nil {
		return fmt.Errorf("dlq: add %d jobs to %s: prepare: %w", len(jobs), db.where, err)
	}
	defer stmt.Close()
	for _, j := range jobs {
		if _, err := stmt.ExecContext(ctx,
			j.ID, j.Type, int64(j.Tier), string(j.Payload), cleanText(j.LastError),
			j.Attempts, j.MaxAttempts, j.TimeoutMs, j.BackoffMs, j.UniqueKey, j.UniqueTTLMs,
			j.RetainMs, j.CreatedAt, j.StartedAt, j.FinishedAt,
		); err != nil {
			return fmt.Errorf("dlq: add job %q to %s: %w", j.ID, db.where, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("dlq: add %d jobs to %s: commit: %w", len(jobs), db.where, err)
	}
	return nil
}

// checkJob reports what makes j unfit for the queue, or nil.
func checkJob(j *store.Job) error {
	switch {
	case j == nil:
		return errors.New("nil job")
	case j.ID == "":
		return errors.New("empty job id")
	case j.Type == "":
		return fmt.Errorf("job %q: empty type", j.ID)
	case !j.Tier.Valid():
		return fmt.Errorf("job %q: invalid tier %d", j.ID, j.Tier)
	case j.FinishedAt <= 0:
		return fmt.Errorf("job %q: no FinishedAt: a dead job needs the time it failed", j.ID)
	case len(j.Payload) > 0 && (!utf8.Valid(j.Payload) || !json.Valid(j.Payload)):
		return fmt.Errorf("job %q: payload is not valid UTF-8 JSON", j.ID)
	}
	return nil
}

// cleanText makes s storable as text in both backends: invalid UTF-8 and NUL bytes become U+FFFD.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
