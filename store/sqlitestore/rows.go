package sqlitestore

import (
	"database/sql"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanJob reads one row of jobCols, returning the job and its sequence number.
func scanJob(sc scanner) (*store.Job, int64, error) {
	var (
		j     store.Job
		seq   int64
		tier  int64
		state string
	)
	err := sc.Scan(&seq, &j.ID, &j.Type, &tier, &j.Payload, &state, &j.Attempts, &j.MaxAttempts,
		&j.TimeoutMs, &j.BackoffMs, &j.RunAt, &j.CreatedAt, &j.StartedAt, &j.FinishedAt, &j.LeaseUntil,
		&j.LastError, &j.UniqueKey, &j.UniqueTTLMs, &j.RetainMs, &j.Result)
	if err != nil {
		return nil, 0, err
	}
	if state == stateHeld { // in its type's rate-limit lane: waiting
		state = string(store.StateWaiting)
	}
	j.Tier, j.State = store.Tier(tier), store.State(state)
	return &j, seq, nil
}

// scanJobs reads every row of rows and closes it.
func scanJobs(rows *sql.Rows) ([]*store.Job, []int64, error) {
	defer rows.Close()
	var (
		jobs []*store.Job
		seqs []int64
	)
	for rows.Next() {
		j, seq, err := scanJob(rows)
		if err != nil {
			return nil, nil, fmt.Errorf("scan job: %w", err)
		}
		jobs, seqs = append(jobs, j), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read jobs: %w", err)
	}
	return jobs, seqs, nil
}

// tierSet is a set of tiers, one bit per tier number.
type tierSet uint8

// add puts t in the set.
func (s *tierSet) add(t store.Tier) { *s |= 1 << t }

// has reports whether t is in the set.
func (s tierSet) has(t store.Tier) bool { return s&(1<<t) != 0 }

// allTiers is the set of every tier.
func allTiers() tierSet {
	var s tierSet
	for _, t := range store.Tiers {
		s.add(t)
	}
	return s
}

// delta is a change to one tier's counts, applied at the end of a transaction: the current
// counts, the running totals, and the completed and failed jobs still kept.
type delta struct {
	waiting, active, delayed, completed, failed int64
	completedKept, failedKept                   int64
}

// deltas are per-tier count changes, indexed by Tier.Index().
type deltas [store.NumTiers]delta

// apply writes every non-zero change to slaq_tiers within tx.
func (d *deltas) apply(tx *sql.Tx, st *sql.Stmt) error {
	stmt := tx.Stmt(st)
	for i, c := range d {
		if c == (delta{}) {
			continue
		}
		if _, err := stmt.Exec(c.waiting, c.active, c.delayed, c.completed, c.failed, c.completedKept, c.failedKept, i+1); err != nil {
			return fmt.Errorf("update counts of tier %d: %w", i+1, err)
		}
	}
	return nil
}

// kept reads how many completed and failed jobs of tier the table holds, as of the
// transaction's start plus the changes in d (not yet applied).
func kept(tx *txStmts, st *sql.Stmt, tier store.Tier, d *delta) (completed, failed int64, err error) {
	if err := tx.stmt(st).QueryRow(int64(tier)).Scan(&completed, &failed); err != nil {
		return 0, 0, fmt.Errorf("read kept jobs of tier %s: %w", tier, err)
	}
	return completed + d.completedKept, failed + d.failedKept, nil
}

// checkTier returns an error unless t is a valid tier.
func checkTier(t store.Tier) error {
	if !t.Valid() {
		return fmt.Errorf("invalid tier %d", t)
	}
	return nil
}

// txStmts hands out a transaction's copies of prepared statements, each made once.
type txStmts struct {
	tx *sql.Tx
	m  map[*sql.Stmt]*sql.Stmt
}

// checkJobTier returns an error unless j.Tier is the valid tier its id encodes.
func checkJobTier(j *store.Job) error {
	if err := store.CheckIDTier(j); err != nil {
		return fmt.Errorf("job of type %q: %w", j.Type, err)
	}
	return nil
}

// stmt returns st bound to the transaction.
func (t *txStmts) stmt(st *sql.Stmt) *sql.Stmt {
	if s, ok := t.m[st]; ok {
		return s
	}
	if t.m == nil {
		t.m = make(map[*sql.Stmt]*sql.Stmt)
	}
	s := t.tx.Stmt(st)
	t.m[st] = s
	return s
}
