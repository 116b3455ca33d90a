package redisstore

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Failed returns up to limit failed jobs of tier, oldest first, read with one script call
// (nothing for a limit below 1).
func (s *Store) Failed(ctx context.Context, tier store.Tier, limit int) ([]*store.Job, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	k, err := s.keys(tier)
	if err != nil || limit < 1 {
		return nil, err
	}
	m, err := s.run(ctx, call{s: scriptFailed, keys: []string{k.failed, k.jobs}, args: []string{itoa(int64(limit))}})
	if err != nil {
		return nil, fmt.Errorf("redisstore: failed jobs of %s: %w", tier, err)
	}
	arr, err := m.ToArray()
	if err != nil {
		return nil, fmt.Errorf("redisstore: failed jobs of %s: %w", tier, err)
	}
	jobs := make([]*store.Job, 0, len(arr)/2)
	for i := 0; i+1 < len(arr); i += 2 {
		id, err := arr[i].ToString()
		if err != nil {
			return nil, fmt.Errorf("redisstore: failed jobs of %s: %w", tier, err)
		}
		rec, err := arr[i+1].ToString()
		if err != nil {
			return nil, fmt.Errorf("redisstore: failed job %s: %w", id, err)
		}
		j, err := decodeRecord(id, rec)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// DeleteFailed deletes those of ids that are failed jobs of tier with one script call and
// returns the ids it deleted, in the order given; others are left alone.
func (s *Store) DeleteFailed(ctx context.Context, tier store.Tier, ids []string) ([]string, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	k, err := s.keys(tier)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	m, err := s.run(ctx, call{s: scriptDeleteFailed, keys: []string{k.failed, k.jobs}, args: ids})
	if err != nil {
		return nil, fmt.Errorf("redisstore: delete %d failed jobs of %s: %w", len(ids), tier, err)
	}
	deleted, err := m.AsStrSlice()
	if err != nil {
		return nil, fmt.Errorf("redisstore: delete failed jobs of %s: %w", tier, err)
	}
	return deleted, nil
}
