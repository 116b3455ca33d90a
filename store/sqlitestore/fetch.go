package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/slaqhq/slaq/store"
)

// Fetch's statements. A claim's StartedAt is Now, or one more than the job's previous
// StartedAt when that is not earlier, so that every run has its own.
const (
	sqlTierRow = `SELECT paused, active FROM slaq_tiers WHERE tier = ?`
	sqlPromote = `UPDATE slaq_jobs SET state = 'waiting'
	WHERE tier = ?1 AND state = 'delayed' AND run_at <= ?2`
	sqlClaim = `UPDATE slaq_jobs SET state = 'active',
	started_at = CASE WHEN started_at >= ?1 THEN started_at + 1 ELSE ?1 END,
	lease_until = ?2, owner = ?3
	WHERE seq IN (SELECT seq FROM slaq_jobs WHERE tier = ?4 AND state = 'waiting'
	              ORDER BY run_at, seq LIMIT ?5)
	RETURNING ` + jobCols
	sqlNextRunAt = `SELECT run_at FROM slaq_jobs WHERE tier = ? AND state = 'delayed'
	ORDER BY run_at LIMIT 1`
)

// Fetch claims up to req.Limit runnable jobs of req.Tier in one transaction: it makes the
// tier's due delayed jobs waiting, then claims the waiting jobs that became runnable first
// (by RunAt, then enqueue order), never letting the tier's active count exceed req.Cap
// when it is positive. A claimed job gets StartedAt = req.Now, or one more than its previous
// StartedAt when that is not earlier. A paused tier yields nothing with Paused set. A Limit
// below 1 is an error.
func (s *Store) Fetch(ctx context.Context, req store.FetchRequest) (store.FetchResult, error) {
	var res store.FetchResult
	if err := checkTier(req.Tier); err != nil {
		return res, fmt.Errorf("sqlitestore: fetch: %w", err)
	}
	if req.Limit < 1 {
		return res, fmt.Errorf("sqlitestore: fetch: Limit %d: want at least 1", req.Limit)
	}
	err := s.write(ctx, writeOp{name: "fetch", priority: priorityOf(req.Tier), cost: req.Limit}, func(tx *sql.Tx, wake *tierSet) error {
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
		rates, err := loadRates(tx.Stmt(s.stmt.rates), req.Tier)
		if err != nil {
			return fmt.Errorf("read rate limits: %w", err)
		}
		if limit > 0 && rates != nil {
			jobs, more, err := s.claimLimited(tx, req, limit, rates, &res)
			if err != nil {
				return err
			}
			if more { // the walk stopped at MaxHoldPerFetch: wake a fetcher for what is behind
				wake.add(req.Tier)
			}
			res.Jobs = jobs
			d.waiting -= int64(len(jobs))
			d.active += int64(len(jobs))
		} else if limit > 0 {
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
