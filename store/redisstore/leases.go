package redisstore

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// ExtendLeases sets LeaseUntil = until on those of ids still active in tier, in one script call.
func (s *Store) ExtendLeases(ctx context.Context, tier store.Tier, ids []string, until int64) error {
	if err := s.live(); err != nil {
		return err
	}
	k, err := s.keys(tier)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	args := make([]string, 0, 1+len(ids))
	args = append(args, itoa(until))
	args = append(args, ids...)
	if _, err := s.run(ctx, call{s: scriptExtend, keys: []string{k.active}, args: args}); err != nil {
		return fmt.Errorf("redisstore: extend %d leases of %s: %w", len(ids), tier, err)
	}
	return nil
}

// Rescue returns tier's active jobs whose lease expired before now to waiting, in script
// calls that each look at most Options.SweepBatch expired jobs, and returns how many it moved.
func (s *Store) Rescue(ctx context.Context, tier store.Tier, now int64) (int, error) {
	if err := s.live(); err != nil {
		return 0, err
	}
	k, err := s.keys(tier)
	if err != nil {
		return 0, err
	}
	c := call{s: scriptRescue,
		keys: []string{k.active, k.waiting, k.marker, k.jobs, k.started},
		args: []string{itoa(now), itoa(int64(s.opts.SweepBatch))},
	}
	total := 0
	for {
		m, err := s.run(ctx, c)
		if err != nil {
			return total, fmt.Errorf("redisstore: rescue %s: %w", tier, err)
		}
		r, err := m.AsIntSlice()
		if err != nil || len(r) != 2 {
			return total, fmt.Errorf("redisstore: rescue %s: unexpected reply %v: %v", tier, m, err)
		}
		total += int(r[0])
		if r[1] < int64(s.opts.SweepBatch) {
			return total, nil
		}
	}
}
