package redisstore

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// SetPaused pauses or resumes tier with the pause script; resuming wakes the tier's waiters.
func (s *Store) SetPaused(ctx context.Context, tier store.Tier, paused bool) error {
	if err := s.live(); err != nil {
		return err
	}
	k, err := s.keys(tier)
	if err != nil {
		return err
	}
	flag := "0"
	if paused {
		flag = "1"
	}
	if _, err := s.run(ctx, call{s: scriptPause, keys: []string{k.stats, k.marker}, args: []string{flag}}); err != nil {
		return fmt.Errorf("redisstore: pause %s=%v: %w", tier, paused, err)
	}
	return nil
}
