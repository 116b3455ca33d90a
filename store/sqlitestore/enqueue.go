package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Enqueue's statements. A job whose id is stored is skipped by the insert's conflict clause.
const (
	sqlInsertJob = `INSERT INTO slaq_jobs (id, type, tier, payload, state, attempts, max_attempts,
	timeout_ms, backoff_ms, run_at, created_at, started_at, finished_at, lease_until, last_error,
	unique_key, unique_ttl_ms, retain_ms, result)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`
	sqlJobExists = `SELECT count(*) FROM slaq_jobs WHERE id = ?`
	sqlUniqueGet = `SELECT job_id, expires_at FROM slaq_unique WHERE tier = ? AND key = ?`
	sqlUniquePut = `INSERT INTO slaq_unique (tier, key, job_id, expires_at) VALUES (?1, ?2, ?3, ?4)
	ON CONFLICT (tier, key) DO UPDATE SET job_id = ?3, expires_at = ?4`
)

// Enqueue stores jobs in one transaction and returns one result per job, in order. It is
// idempotent on id: a job whose id is stored, in any state, is skipped with its own id and
// Duplicate set, and takes no unique key. A job whose UniqueKey is held in its tier (the
// holder was enqueued less than the holder's UniqueTTLMs ago) is skipped with the holder's
// id and Duplicate set. A job with RunAt <= now is waiting, otherwise delayed. Every tier
// that received a job is woken. A job whose Tier is not the tier its id encodes fails the
// whole call before anything is stored. It returns once the commit is durable (see the
// package doc).
func (s *Store) Enqueue(ctx context.Context, now int64, jobs []*store.Job) ([]store.EnqueueResult, error) {
	for _, j := range jobs {
		if err := checkJobTier(j); err != nil {
			return nil, fmt.Errorf("sqlitestore: enqueue: %w", err)
		}
	}
	if len(jobs) == 0 {
		return []store.EnqueueResult{}, nil
	}
	results := make([]store.EnqueueResult, len(jobs))
	op := writeOp{name: "enqueue", priority: enqueuePriority(jobs), cost: len(jobs), durable: true}
	err := s.write(ctx, op, func(tx *sql.Tx, wake *tierSet) error {
		stmts := txStmts{tx: tx}
		var d deltas
		for i, j := range jobs {
			stored, err := s.enqueueOne(&stmts, now, j, &results[i])
			if err != nil {
				return fmt.Errorf("job %s: %w", j.ID, err)
			}
			if !stored {
				continue
			}
			if c := &d[j.Tier.Index()]; j.RunAt > now {
				c.delayed++
			} else {
				c.waiting++
			}
			wake.add(j.Tier)
		}
		return d.apply(tx, s.stmt.addCounts)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// enqueueOne stores j unless its id is stored or its unique key held, sets its result, and
// reports whether it stored it.
func (s *Store) enqueueOne(tx *txStmts, now int64, j *store.Job, res *store.EnqueueResult) (bool, error) {
	if j.UniqueKey != "" {
		// The id comes first: a resend of a stored job names itself and takes no key.
		var n int64
		if err := tx.stmt(s.stmt.jobExists).QueryRow(j.ID).Scan(&n); err != nil {
			return false, fmt.Errorf("look up id: %w", err)
		}
		if n > 0 {
			*res = store.EnqueueResult{ID: j.ID, Duplicate: true}
			return false, nil
		}
		var holder string
		var expiresAt int64
		err := tx.stmt(s.stmt.uniqueGet).QueryRow(int64(j.Tier), j.UniqueKey).Scan(&holder, &expiresAt)
		if err != nil && !noRow(err) {
			return false, fmt.Errorf("unique key %q: %w", j.UniqueKey, err)
		}
		if err == nil && expiresAt > now {
			*res = store.EnqueueResult{ID: holder, Duplicate: true}
			return false, nil
		}
		if _, err := tx.stmt(s.stmt.uniquePut).Exec(int64(j.Tier), j.UniqueKey, j.ID, now+j.UniqueTTLMs); err != nil {
			return false, fmt.Errorf("hold unique key %q: %w", j.UniqueKey, err)
		}
	}
	state := store.StateWaiting
	if j.RunAt > now {
		state = store.StateDelayed
	}
	n, err := execCount(tx.stmt(s.stmt.insertJob), j.ID, j.Type, int64(j.Tier), j.Payload, string(state), j.Attempts,
		j.MaxAttempts, j.TimeoutMs, j.BackoffMs, j.RunAt, j.CreatedAt, j.StartedAt, j.FinishedAt,
		j.LeaseUntil, j.LastError, j.UniqueKey, j.UniqueTTLMs, j.RetainMs, j.Result)
	if err != nil {
		return false, fmt.Errorf("insert: %w", err)
	}
	if n == 0 { // the id is stored (only a job without a key gets here with one)
		*res = store.EnqueueResult{ID: j.ID, Duplicate: true}
		return false, nil
	}
	*res = store.EnqueueResult{ID: j.ID}
	return true, nil
}

// enqueuePriority is the lock priority of an enqueue: that of its most urgent job.
func enqueuePriority(jobs []*store.Job) int {
	p := lowestPriority
	for _, j := range jobs {
		p = min(p, priorityOf(j.Tier))
	}
	return p
}
