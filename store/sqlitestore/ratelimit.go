package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/slaqhq/slaq/store"
)

// Rate-limit statements: the limits and GCRA state of slaq_rate, the lanes (the held jobs
// of each limited type, state 'held'), and the fetch's walk of the waiting jobs.
const (
	sqlRates   = `SELECT type, rate, period_ms, burst, tat FROM slaq_rate WHERE tier = ? ORDER BY type`
	sqlSetRate = `INSERT INTO slaq_rate (tier, type, rate, period_ms, burst) VALUES (?1, ?2, ?3, ?4, ?5)
	ON CONFLICT (tier, type) DO UPDATE SET rate = ?3, period_ms = ?4, burst = ?5`
	sqlDeleteRate = `DELETE FROM slaq_rate WHERE tier = ? AND type = ?`
	sqlSetTat     = `UPDATE slaq_rate SET tat = ? WHERE tier = ? AND type = ?`
	// The oldest ?3 jobs of one type's lane, in pickup order.
	sqlLane = `SELECT seq, run_at FROM slaq_jobs WHERE tier = ?1 AND state = 'held' AND type = ?2
	ORDER BY run_at, seq LIMIT ?3`
	// The lane of a type whose limit is removed goes back to waiting, in its place.
	sqlUnhold = `UPDATE slaq_jobs SET state = 'waiting' WHERE tier = ? AND state = 'held' AND type = ?`
	sqlHold   = `UPDATE slaq_jobs SET state = 'held' WHERE seq IN (SELECT value FROM json_each(?)) AND state = 'waiting'`
	// The next waiting jobs after the cursor (run_at, seq), in pickup order.
	sqlCandidates = `SELECT seq, type, run_at FROM slaq_jobs
	WHERE tier = ?1 AND state = 'waiting' AND (run_at, seq) > (?2, ?3)
	ORDER BY run_at, seq LIMIT ?4`
	sqlClaimSeqs = `UPDATE slaq_jobs SET state = 'active',
	started_at = CASE WHEN started_at >= ?1 THEN started_at + 1 ELSE ?1 END,
	lease_until = ?2, owner = ?3
	WHERE seq IN (SELECT value FROM json_each(?4)) AND state IN ('waiting', 'held')
	RETURNING ` + jobCols
)

// stateHeld is the state of a job in its type's lane: waiting, held back by its type's rate
// limit. Readers report it as store.StateWaiting.
const stateHeld = "held"

// MaxHoldPerFetch is the most waiting jobs one fetch moves into their types' lanes, beyond
// the jobs it claims: 1000. A backlog of a limited type larger than that moves over several
// fetches; the jobs behind it wait for those fetches, not for the limit.
const MaxHoldPerFetch = 1000

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

// claimLimited claims up to limit runnable jobs of tier when it has rate limits. It serves
// the lanes first, each as far as its type's limit allows now (a lane's jobs became
// runnable before anything still waiting), then walks the waiting jobs in pickup order: a
// job of a limited type that has a lane, or no start free now, joins its lane (at most
// MaxHoldPerFetch of them per call) instead of being claimed. It records the limits' new
// schedules, and reports the types held back and when the earliest lane frees. more is true
// when the walk stopped at MaxHoldPerFetch with room left: jobs behind may be runnable.
func (s *Store) claimLimited(tx *sql.Tx, req store.FetchRequest, limit int64, rates map[string]*gcra, res *store.FetchResult) (jobs []*store.Job, more bool, err error) {
	tier := int64(req.Tier)
	var seqs []int64
	laned := map[string]bool{}    // limited types with held jobs
	deferred := map[string]bool{} // types held back while the fetch had room
	type lane struct {
		typ       string
		seqs      []int64
		headRunAt int64
		headSeq   int64
	}
	var lanes []lane
	for typ := range rates {
		l := lane{typ: typ}
		rows, err := tx.Stmt(s.stmt.lane).Query(tier, typ, limit+1)
		if err != nil {
			return nil, false, fmt.Errorf("read the lane of %s: %w", typ, err)
		}
		for rows.Next() {
			var seq, runAt int64
			if err := rows.Scan(&seq, &runAt); err != nil {
				rows.Close()
				return nil, false, fmt.Errorf("read the lane of %s: %w", typ, err)
			}
			if len(l.seqs) == 0 {
				l.headRunAt, l.headSeq = runAt, seq
			}
			l.seqs = append(l.seqs, seq)
		}
		if err := rows.Close(); err != nil {
			return nil, false, fmt.Errorf("read the lane of %s: %w", typ, err)
		}
		if len(l.seqs) > 0 {
			lanes = append(lanes, l)
		}
	}
	// The lane whose head became runnable first goes first.
	slices.SortFunc(lanes, func(a, b lane) int {
		return cmp.Or(cmp.Compare(a.headRunAt, b.headRunAt), cmp.Compare(a.headSeq, b.headSeq))
	})
	for _, l := range lanes {
		k := 0
		for k < len(l.seqs) && int64(len(seqs)) < limit && rates[l.typ].allow(req.Now) {
			seqs = append(seqs, l.seqs[k])
			k++
		}
		if k < len(l.seqs) {
			laned[l.typ] = true
			if int64(len(seqs)) < limit { // its limit, not the fetch's room, stopped it
				deferred[l.typ] = true
			}
		}
	}
	var hold []int64
	curRunAt, curSeq := int64(math.MinInt64), int64(-1)
	for int64(len(seqs)) < limit && len(hold) < MaxHoldPerFetch {
		page := limit - int64(len(seqs))
		rows, err := tx.Stmt(s.stmt.candidates).Query(tier, curRunAt, curSeq, page)
		if err != nil {
			return nil, false, fmt.Errorf("walk waiting jobs: %w", err)
		}
		var n int64
		for rows.Next() {
			var seq int64
			var typ string
			if err := rows.Scan(&seq, &typ, &curRunAt); err != nil {
				rows.Close()
				return nil, false, fmt.Errorf("walk waiting jobs: %w", err)
			}
			n, curSeq = n+1, seq
			g := rates[typ]
			if g != nil && (laned[typ] || !g.allow(req.Now)) {
				laned[typ], deferred[typ] = true, true
				hold = append(hold, seq)
				continue
			}
			seqs = append(seqs, seq)
		}
		if err := rows.Close(); err != nil {
			return nil, false, fmt.Errorf("walk waiting jobs: %w", err)
		}
		if n < page {
			break
		}
	}
	if len(hold) > 0 {
		enc, _ := json.Marshal(hold)
		if _, err := tx.Stmt(s.stmt.hold).Exec(string(enc)); err != nil {
			return nil, false, fmt.Errorf("move jobs to their lanes: %w", err)
		}
	}
	for typ, g := range rates {
		if g.changed {
			if _, err := tx.Stmt(s.stmt.setTat).Exec(g.tat, tier, typ); err != nil {
				return nil, false, fmt.Errorf("rate state of %s: %w", typ, err)
			}
		}
	}
	for typ := range laned {
		if deferred[typ] {
			res.Deferred = append(res.Deferred, typ)
		}
		if at := rates[typ].freeAt(req.Now); res.HeldUntil == 0 || at < res.HeldUntil {
			res.HeldUntil = at
		}
	}
	slices.Sort(res.Deferred)
	more = len(hold) >= MaxHoldPerFetch && int64(len(seqs)) < limit
	if len(seqs) == 0 {
		return nil, more, nil
	}
	ids, _ := json.Marshal(seqs)
	rows, err := tx.Stmt(s.stmt.claimSeqs).Query(req.Now, req.Now+req.LeaseMs, req.Owner, string(ids))
	if err != nil {
		return nil, false, fmt.Errorf("claim jobs: %w", err)
	}
	jobs, got, err := scanJobs(rows)
	if err != nil {
		return nil, false, fmt.Errorf("claim jobs: %w", err)
	}
	sortClaimed(jobs, got)
	return jobs, more, nil
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
			if _, err = tx.Stmt(s.stmt.deleteRate).Exec(int64(l.Tier), l.Type); err == nil {
				_, err = tx.Stmt(s.stmt.unhold).Exec(int64(l.Tier), l.Type)
			}
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
