package sqlitestore

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Get returns the job with id, or an error wrapping store.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*store.Job, error) {
	if s.closed.Load() {
		return nil, errClosed("get")
	}
	j, _, err := scanJob(s.stmt.get.QueryRowContext(ctx, id))
	if noRow(err) {
		return nil, fmt.Errorf("sqlitestore: get %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, s.readErr("get "+id, err)
	}
	return j, nil
}

// Counts returns every tier's counts from slaq_tiers (one row per tier, no scan of jobs).
func (s *Store) Counts(ctx context.Context) ([store.NumTiers]store.Counts, error) {
	var all [store.NumTiers]store.Counts
	if s.closed.Load() {
		return all, errClosed("counts")
	}
	rows, err := s.stmt.counts.QueryContext(ctx)
	if err != nil {
		return all, s.readErr("counts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t int64
		var c store.Counts
		if err := rows.Scan(&t, &c.Waiting, &c.Active, &c.Delayed, &c.Completed, &c.Failed, &c.Paused); err != nil {
			return all, fmt.Errorf("sqlitestore: counts: %w", err)
		}
		if tier := store.Tier(t); tier.Valid() {
			all[tier.Index()] = c
		}
	}
	if err := rows.Err(); err != nil {
		return all, fmt.Errorf("sqlitestore: counts: %w", err)
	}
	return all, nil
}

// Dead returns up to limit failed jobs of tier, oldest first (by FinishedAt).
func (s *Store) Dead(ctx context.Context, tier store.Tier, limit int) ([]*store.Job, error) {
	if err := checkTier(tier); err != nil {
		return nil, fmt.Errorf("sqlitestore: dead: %w", err)
	}
	if s.closed.Load() {
		return nil, errClosed("dead")
	}
	rows, err := s.stmt.dead.QueryContext(ctx, int64(tier), limit)
	if err != nil {
		return nil, s.readErr("dead", err)
	}
	jobs, _, err := scanJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: dead: %w", err)
	}
	return jobs, nil
}

// readErr wraps the error of a read, as store.ErrClosed if Close raced with it.
func (s *Store) readErr(op string, err error) error {
	if s.closed.Load() {
		return errClosed(op)
	}
	return fmt.Errorf("sqlitestore: %s: %w", op, err)
}
