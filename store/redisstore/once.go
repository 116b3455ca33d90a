package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/rueidis"
)

// onceKey returns the name of the STRING that holds the Once slot key.
func (s *Store) onceKey(key string) string { return s.opts.Prefix + ":once:" + key }

// Once claims the slot key for ttlMs with one SET NX PX (a single command, so atomic on its
// own, and no script): the key <prefix>:once:<key> is set to now (the winner's clock, for
// operators) only if it does not exist, and Redis drops it ttlMs later on the server's clock.
// The name has no hash tag of the store's, so its Cluster slot is that of the whole name (or
// of a {tag} inside key); a single-key command needs no particular slot.
func (s *Store) Once(ctx context.Context, key string, now, ttlMs int64) (bool, error) {
	if err := s.live(); err != nil {
		return false, err
	}
	if key == "" || ttlMs < 1 {
		return false, fmt.Errorf("redisstore: once %q: need a key and a ttl of at least 1 ms (got %d)", key, ttlMs)
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	cmd := s.client.B().Set().Key(s.onceKey(key)).Value(itoa(now)).Nx().PxMilliseconds(ttlMs).Build()
	err := s.client.Do(ctx, cmd).Error()
	if rueidis.IsRedisNil(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("redisstore: once %q: %w", key, err)
	}
	return true, nil
}
