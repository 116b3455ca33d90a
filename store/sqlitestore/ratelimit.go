package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/slaqhq/slaq/store"
)

// Rate-limit statements: the limits and GCRA state of slaq_rate, and the fetch's walk of the
// waiting jobs that skips the types held back.
const (
	sqlRates   = `SELECT type, rate, period_ms, burst, tat FROM slaq_rate WHERE tier = ? ORDER BY type`
	sqlSetRate = `INSERT INTO slaq_rate (tier, type, rate, period_ms, burst) VALUES (?1, ?2, ?3, ?4, ?5)
	ON CONFLICT (tier, type) DO UPDATE SET rate = ?3, period_ms = ?4, burst = ?5`
	sqlDeleteRate = `DELETE FROM slaq_rate WHERE tier = ? AND type = ?`
	sqlSetTat     = `UPDATE slaq_rate SET tat = ? WHERE tier = ? AND type = ?`
	// The next waiting jobs after the cursor (run_at, seq), in pickup order, but those of
	// the types in the JSON array ?2.
	sqlCandidates = `SELECT seq, type, run_at FROM slaq_jobs
	WHERE tier = ?1 AND state = 'waiting' AND (run_at, seq) > (?3, ?4)
	AND type NOT IN (SELECT value FROM json_each(?2))
	ORDER BY run_at, seq LIMIT ?5`
	sqlClaimSeqs = `UPDATE slaq_jobs SET state = 'active',
	started_at = CASE WHEN started_at >= ?1 THEN started_at + 1 ELSE ?1 END,
	lease_until = ?2, owner = ?3
	WHERE seq IN (SELECT value FROM json_each(?4)) AND state = 'waiting'
	RETURNING ` + jobCols
)

// gcra is one type's limit and schedule during a fetch.
type gcra struct {
	interval, tolerance float64
	tat                 float64
	changed             bool
}

// allow takes a start at now if the limit has one free, and reports whether it did.
func (g *gcra) allow(now int64) bool {
	t := max(g.tat, float64(now))
	if t-g.tolerance > float64(now) {
		return false
	}
	g.tat, g.changed = t+g.interval, true
	return true
}

// freeAt is the earliest ms at which the next start is free (now when it is free already).
func (g *gcra) freeAt(now int64) int64 {
	return max(now, int64(math.Ceil(g.tat-g.tolerance)))
}

// loadRates reads tier's limits, or nil when it has none.
func loadRates(stmt *sql.Stmt, tier store.Tier) (map[string]*gcra, error) {
	rows, err := stmt.Query(int64(tier))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out map[string]*gcra
	for rows.Next() {
		var l store.RateLimit
		var tat float64
		if err := rows.Scan(&l.Type, &l.Rate, &l.PeriodMs, &l.Burst, &tat); err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]*gcra{}
		}
		iv, tol := l.GCRA()
		out[l.Type] = &gcra{interval: iv, tolerance: tol, tat: tat}
	}
	return out, rows.Err()
}

// claimLimited claims up to limit waiting jobs of tier in pickup order, skipping the jobs of
// the types whose limit has no start free now (they stay where they are), and records the
// limits' new schedules. It walks the waiting jobs from the front with a cursor, leaving the
// held types out of each further page, so a call reads at most limit + (held types) pages'
// worth of rows beyond the jobs it claims, plus the held jobs ahead of them in the first page.
func (s *Store) claimLimited(tx *sql.Tx, req store.FetchRequest, limit int64, rates map[string]*gcra, res *store.FetchResult) ([]*store.Job, error) {
	var (
		seqs     []int64
		excluded = []string{}
		curRunAt = int64(math.MinInt64)
		curSeq   = int64(-1)
		held     = map[string]bool{}
	)
	for int64(len(seqs)) < limit {
		ex, _ := json.Marshal(excluded)
		page := limit - int64(len(seqs))
		rows, err := tx.Stmt(s.stmt.candidates).Query(int64(req.Tier), string(ex), curRunAt, curSeq, page)
		if err != nil {
			return nil, fmt.Errorf("walk waiting jobs: %w", err)
		}
		var n int64
		for rows.Next() {
			var seq int64
			var typ string
			if err := rows.Scan(&seq, &typ, &curRunAt); err != nil {
				rows.Close()
				return nil, fmt.Errorf("walk waiting jobs: %w", err)
			}
			n, curSeq = n+1, seq
			g := rates[typ]
			switch {
			case held[typ]:
			case g == nil || g.allow(req.Now):
				seqs = append(seqs, seq)
			default:
				held[typ] = true
				excluded = append(excluded, typ)
			}
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("walk waiting jobs: %w", err)
		}
		if n < page {
			break
		}
	}
	for typ, g := range rates {
		if g.changed {
			if _, err := tx.Stmt(s.stmt.setTat).Exec(g.tat, int64(req.Tier), typ); err != nil {
				return nil, fmt.Errorf("rate state of %s: %w", typ, err)
			}
		}
	}
	for typ := range held {
		res.Deferred = append(res.Deferred, typ)
		if at := rates[typ].freeAt(req.Now); res.HeldUntil == 0 || at < res.HeldUntil {
			res.HeldUntil = at
		}
	}
	slices.Sort(res.Deferred)
	if len(seqs) == 0 {
		return nil, nil
	}
	ids, _ := json.Marshal(seqs)
	rows, err := tx.Stmt(s.stmt.claimSeqs).Query(req.Now, req.Now+req.LeaseMs, req.Owner, string(ids))
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	jobs, got, err := scanJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	sortClaimed(jobs, got)
	return jobs, nil
}

// SetRateLimit sets, changes or removes a type's limit in its tier for every process on the
// file, in one transaction; the type's schedule is kept while it has a limit. It wakes the
// tier, so jobs held under the old limit are decided again.
func (s *Store) SetRateLimit(ctx context.Context, l store.RateLimit) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	return s.write(ctx, writeOp{name: "set rate limit", priority: lowestPriority, cost: 1, durable: true}, func(tx *sql.Tx, wake *tierSet) error {
		var err error
		if l.Rate == 0 {
			_, err = tx.Stmt(s.stmt.deleteRate).Exec(int64(l.Tier), l.Type)
		} else {
			_, err = tx.Stmt(s.stmt.setRate).Exec(int64(l.Tier), l.Type, l.Rate, l.PeriodMs, l.Burst)
		}
		wake.add(l.Tier)
		return err
	})
}

// RateLimits reads tier's limits and their next free slots as of now.
func (s *Store) RateLimits(ctx context.Context, tier store.Tier, now int64) ([]store.RateLimitState, error) {
	if err := checkTier(tier); err != nil {
		return nil, fmt.Errorf("sqlitestore: rate limits: %w", err)
	}
	if s.closed.Load() {
		return nil, errClosed("rate limits")
	}
	rows, err := s.stmt.ratesRead.QueryContext(ctx, int64(tier))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: rate limits of %s: %w", tier, err)
	}
	defer rows.Close()
	var out []store.RateLimitState
	for rows.Next() {
		l := store.RateLimit{Tier: tier}
		var tat float64
		if err := rows.Scan(&l.Type, &l.Rate, &l.PeriodMs, &l.Burst, &tat); err != nil {
			return nil, fmt.Errorf("sqlitestore: rate limits of %s: %w", tier, err)
		}
		iv, tol := l.GCRA()
		g := gcra{interval: iv, tolerance: tol, tat: tat}
		out = append(out, store.RateLimitState{RateLimit: l, NextFreeAt: g.freeAt(now)})
	}
	return out, rows.Err()
}
