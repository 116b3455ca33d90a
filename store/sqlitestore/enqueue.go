package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Enqueue stores jobs in one transaction and returns one result per job, in order. A job
// whose UniqueKey is held (its holder was enqueued less than the holder's UniqueTTLMs ago)
// is not stored and reports the holder's id with Duplicate set. A job with RunAt <= now is
// waiting, otherwise delayed. Every tier that received a job is woken.
func (s *Store) Enqueue(ctx context.Context, now int64, jobs []*store.Job) ([]store.EnqueueResult, error) {
	for _, j := range jobs {
		if err := checkTier(j.Tier); err != nil {
			return nil, fmt.Errorf("sqlitestore: enqueue %s: %w", j.ID, err)
		}
		if j.ID == "" {
			return nil, fmt.Errorf("sqlitestore: enqueue: job of type %q has no id", j.Type)
		}
	}
	if len(jobs) == 0 {
		return []store.EnqueueResult{}, nil
	}
	results := make([]store.EnqueueResult, len(jobs))
	err := s.write(ctx, writeOp{name: "enqueue", priority: enqueuePriority(jobs), cost: len(jobs), durable: true}, func(tx *sql.Tx, wake *tierSet) error {
		insert := tx.Stmt(s.stmt.insertJob)
		var uniqueGet, uniquePut *sql.Stmt
		var d deltas
		for i, j := range jobs {
			if j.UniqueKey != "" {
				if uniqueGet == nil {
					uniqueGet, uniquePut = tx.Stmt(s.stmt.uniqueGet), tx.Stmt(s.stmt.uniquePut)
				}
				var holder string
				var expiresAt int64
				err := uniqueGet.QueryRow(j.UniqueKey).Scan(&holder, &expiresAt)
				if err != nil && !noRow(err) {
					return fmt.Errorf("unique key %q: %w", j.UniqueKey, err)
				}
				if err == nil && expiresAt > now {
					results[i] = store.EnqueueResult{ID: holder, Duplicate: true}
					continue
				}
				if _, err := uniquePut.Exec(j.UniqueKey, j.ID, int64(j.Tier), now+j.UniqueTTLMs); err != nil {
					return fmt.Errorf("hold unique key %q: %w", j.UniqueKey, err)
				}
			}
			state := store.StateWaiting
			c := &d[j.Tier.Index()]
			if j.RunAt > now {
				state = store.StateDelayed
				c.delayed++
			} else {
				c.waiting++
			}
			_, err := insert.Exec(j.ID, j.Type, int64(j.Tier), j.Payload, string(state), j.Attempts,
				j.MaxAttempts, j.TimeoutMs, j.BackoffMs, j.RunAt, j.CreatedAt, j.StartedAt, j.FinishedAt,
				j.LeaseUntil, j.LastError, j.UniqueKey, j.UniqueTTLMs, j.RetainMs, j.Result)
			if err != nil {
				return fmt.Errorf("insert job %s: %w", j.ID, err)
			}
			results[i] = store.EnqueueResult{ID: j.ID}
			wake.add(j.Tier)
		}
		return d.apply(tx, s.stmt.addCounts)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// enqueuePriority is the lock priority of an enqueue: that of its most urgent job.
func enqueuePriority(jobs []*store.Job) int {
	p := lowestPriority
	for _, j := range jobs {
		p = min(p, priorityOf(j.Tier))
	}
	return p
}
