package dlq

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slaqhq/slaq/store"
)

// entryColumns are the columns scanEntry reads, in its order.
const entryColumns = `id, job_id, type, tier, payload, payload_bytes, error, attempts, max_attempts,
	timeout_ms, backoff_ms, unique_key, unique_ttl_ms, retain_ms, created_at, started_at, failed_at`

// List returns the entries f selects, newest FailedAt first (ties: newest row first), skipping
// f.Offset and returning at most f.Limit of them. It returns an empty, non-nil slice when none
// match.
func (db *DB) List(ctx context.Context, f Filter) ([]Entry, error) {
	where, args, err := f.where()
	if err != nil {
		return nil, fmt.Errorf("dlq: list: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	args = append(args, limit, max(f.Offset, 0))
	q := "SELECT " + entryColumns + " FROM failed_jobs" + where +
		" ORDER BY failed_at DESC, id DESC LIMIT $" + strconv.Itoa(len(args)-1) + " OFFSET $" + strconv.Itoa(len(args))
	qctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(qctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("dlq: list %s: %w", db.where, db.failed(ctx, qctx, err))
	}
	defer rows.Close()
	entries := []Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("dlq: list %s: %w", db.where, err)
		}
		entries = append(entries, *e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dlq: list %s: %w", db.where, db.failed(ctx, qctx, err))
	}
	return entries, nil
}

// Count returns how many entries f selects, ignoring f.Limit and f.Offset.
func (db *DB) Count(ctx context.Context, f Filter) (int64, error) {
	where, args, err := f.where()
	if err != nil {
		return 0, fmt.Errorf("dlq: count: %w", err)
	}
	qctx, cancel := db.bound(ctx)
	defer cancel()
	var n int64
	if err := db.sql.QueryRowContext(qctx, "SELECT COUNT(*) FROM failed_jobs"+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("dlq: count %s: %w", db.where, db.failed(ctx, qctx, err))
	}
	return n, nil
}

// Get returns the entry of the job with jobID, or an error wrapping [ErrNotFound].
func (db *DB) Get(ctx context.Context, jobID string) (*Entry, error) {
	qctx, cancel := db.bound(ctx)
	defer cancel()
	row := db.sql.QueryRowContext(qctx, "SELECT "+entryColumns+" FROM failed_jobs WHERE job_id = $1", jobID)
	e, err := scanEntry(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("dlq: get job %q: %w", jobID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("dlq: get job %q from %s: %w", jobID, db.where, db.failed(ctx, qctx, err))
	}
	return e, nil
}

// where renders f's conditions as a WHERE clause ("" for none) with $n placeholders.
func (f Filter) where() (string, []any, error) {
	if f.Tier != 0 && !f.Tier.Valid() {
		return "", nil, fmt.Errorf("invalid tier %d in filter", f.Tier)
	}
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.Type != "" {
		add("type =", f.Type)
	}
	if f.Tier != 0 {
		add("tier =", int64(f.Tier))
	}
	if f.Since != 0 {
		add("failed_at >=", f.Since)
	}
	if f.Until != 0 {
		add("failed_at <", f.Until)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// scanEntry reads one row of entryColumns. The payload is payload_bytes when that is not NULL
// (the exact bytes of a payload that is not UTF-8), else the payload text.
func scanEntry(row interface{ Scan(...any) error }) (*Entry, error) {
	var e Entry
	var tier int64
	var payload string
	var payloadBytes []byte
	err := row.Scan(&e.ID, &e.JobID, &e.Type, &tier, &payload, &payloadBytes, &e.Error, &e.Attempts,
		&e.MaxAttempts, &e.TimeoutMs, &e.BackoffMs, &e.UniqueKey, &e.UniqueTTLMs, &e.RetainMs,
		&e.CreatedAt, &e.StartedAt, &e.FailedAt)
	if err != nil {
		return nil, err
	}
	e.Tier = store.Tier(tier)
	switch {
	case payloadBytes != nil:
		e.Payload = payloadBytes
	case payload != "":
		e.Payload = []byte(payload)
	}
	return &e, nil
}

// Job returns the dead job with jobID as it was when it died: every field Add stored, with
// State failed and FinishedAt = the entry's FailedAt (RunAt, LeaseUntil and Result are not kept
// and come back zero). An unknown id gives an error wrapping [ErrNotFound]. To run the job
// again, reset its attempts, error and times, or use [Entry.Job], which does so.
func (db *DB) Job(ctx context.Context, jobID string) (*store.Job, error) {
	e, err := db.Get(ctx, jobID)
	if err != nil {
		return nil, err
	}
	j := e.Job()
	j.State, j.Attempts, j.LastError = store.StateFailed, e.Attempts, e.Error
	j.CreatedAt, j.StartedAt, j.FinishedAt = e.CreatedAt, e.StartedAt, e.FailedAt
	return j, nil
}
