package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/store"
)

// cancelTries bounds how often Cancel reads a record again because the job it names changed
// its unique key between the read and the script (only when the id was deleted and enqueued
// again with another key meanwhile).
const cancelTries = 3

// Cancel deletes the waiting or delayed job with id and releases its unique key, with one
// cancel script call (after one HGET that reads the record's unique key, so that the script
// is given that key's name). Cost: O(W) for a waiting job (LREM scans the waiting LIST of W
// jobs; an operator call, not the hot path), O(log D + k) for a delayed one (k = delayed jobs
// with its RunAt). It returns an error wrapping store.ErrNotFound for a missing job and
// store.ErrNotCancellable for an active, completed or failed one (nothing changes then).
func (s *Store) Cancel(ctx context.Context, id string) error {
	if err := s.live(); err != nil {
		return err
	}
	t, err := store.TierOfID(id)
	if err != nil {
		return fmt.Errorf("redisstore: cancel: %w", err)
	}
	k := &s.tiers[t.Index()]
	for range cancelTries {
		ukey, err := s.uniqueKeyOf(ctx, k, id)
		if err != nil {
			return err
		}
		keys := []string{k.jobs, k.active, k.waiting, k.delayed, k.held}
		if ukey != "" {
			keys = append(keys, k.uniqueKey(ukey))
		}
		m, err := s.run(ctx, call{s: scriptCancel, keys: keys, args: []string{id, ukey}})
		if err != nil {
			return fmt.Errorf("redisstore: cancel job %s: %w", id, err)
		}
		r, err := m.ToString()
		if err != nil {
			return fmt.Errorf("redisstore: cancel job %s: unexpected reply %v: %w", id, m, err)
		}
		switch r {
		case "ok":
			return nil
		case "missing":
			return fmt.Errorf("redisstore: cancel job %s: %w", id, store.ErrNotFound)
		case "busy":
			return fmt.Errorf("redisstore: cancel job %s: %w", id, store.ErrNotCancellable)
		case "stale":
			continue
		default:
			return fmt.Errorf("redisstore: cancel job %s: unexpected reply %q", id, r)
		}
	}
	return fmt.Errorf("redisstore: cancel job %s: its record kept changing", id)
}

// uniqueKeyOf reads the record of id and returns the unique key it holds ("" for none: no key,
// or no TTL), or an error wrapping store.ErrNotFound when there is no record.
func (s *Store) uniqueKeyOf(ctx context.Context, k *tierKeys, id string) (string, error) {
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	rec, err := s.client.Do(cctx, s.client.B().Hget().Key(k.jobs).Field(id).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return "", fmt.Errorf("redisstore: cancel job %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("redisstore: cancel job %s: read record: %w", id, err)
	}
	j, err := decodeRecord(id, rec)
	if err != nil {
		return "", err
	}
	if !hasUnique(j) {
		return "", nil
	}
	return j.UniqueKey, nil
}
