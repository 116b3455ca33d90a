package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/slaqhq/slaq/store"
)

// Fetch claims up to req.Limit runnable jobs of req.Tier in one transaction: it makes the
// tier's due delayed jobs waiting, then claims the waiting jobs that became runnable first
// (by RunAt, then enqueue order), never letting the tier's active count exceed req.Cap
// when it is positive. A paused tier yields nothing with Paused set.
func (s *Store) Fetch(ctx context.Context, req store.FetchRequest) (store.FetchResult, error) {
	var res store.FetchResult
	if err := checkTier(req.Tier); err != nil {
		return res, fmt.Errorf("sqlitestore: fetch: %w", err)
	}
	err := s.write(ctx, writeOp{name: "fetch", priority: priorityOf(req.Tier), cost: max(req.Limit, 1)}, func(tx *sql.Tx, _ *tierSet) error {
		s.signals.fetched(req.Tier)
		var paused bool
		var active int64
		if err := tx.Stmt(s.stmt.tierRow).QueryRow(int64(req.Tier)).Scan(&paused, &active); err != nil {
			return fmt.Errorf("read tier %s: %w", req.Tier, err)
		}
		if paused {
			res.Paused = true
			return nil
		}
		var d delta
		r, err := tx.Stmt(s.stmt.promote).Exec(int64(req.Tier), req.Now)
		if err != nil {
			return fmt.Errorf("promote due jobs: %w", err)
		}
		promoted, err := r.RowsAffected()
		if err != nil {
			return fmt.Errorf("promote due jobs: %w", err)
		}
		d.delayed, d.waiting = -promoted, promoted
		limit := int64(req.Limit)
		if req.Cap > 0 {
			limit = min(limit, int64(req.Cap)-active)
		}
		if limit > 0 {
			rows, err := tx.Stmt(s.stmt.claim).Query(req.Now, req.Now+req.LeaseMs, req.Owner, int64(req.Tier), limit)
			if err != nil {
				return fmt.Errorf("claim jobs: %w", err)
			}
			jobs, seqs, err := scanJobs(rows)
			if err != nil {
				return fmt.Errorf("claim jobs: %w", err)
			}
			sortClaimed(jobs, seqs)
			res.Jobs = jobs
			d.waiting -= int64(len(jobs))
			d.active += int64(len(jobs))
		}
		err = tx.Stmt(s.stmt.nextRunAt).QueryRow(int64(req.Tier)).Scan(&res.NextRunAt)
		if err != nil && !noRow(err) {
			return fmt.Errorf("next run time: %w", err)
		}
		var all deltas
		all[req.Tier.Index()] = d
		return all.apply(tx, s.stmt.addCounts)
	})
	if err != nil {
		return store.FetchResult{}, err
	}
	return res, nil
}

// sortClaimed puts claimed jobs in queue order (RunAt, then sequence): RETURNING has none.
func sortClaimed(jobs []*store.Job, seqs []int64) {
	type claimed struct {
		job *store.Job
		seq int64
	}
	c := make([]claimed, len(jobs))
	for i := range jobs {
		c[i] = claimed{jobs[i], seqs[i]}
	}
	slices.SortFunc(c, func(a, b claimed) int {
		return cmp.Or(cmp.Compare(a.job.RunAt, b.job.RunAt), cmp.Compare(a.seq, b.seq))
	})
	for i := range c {
		jobs[i] = c[i].job
	}
}
