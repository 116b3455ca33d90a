package redisstore

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Ack applies acks with one ack script call per tier, all pipelined in one round trip.
// Each job changes state atomically; an ack for a job that is not active is ignored.
func (s *Store) Ack(ctx context.Context, acks []store.Ack) error {
	if err := s.live(); err != nil {
		return err
	}
	var byTier [store.NumTiers][]int
	for i, a := range acks {
		if a.Kind < store.AckComplete || a.Kind > store.AckFail {
			return fmt.Errorf("redisstore: ack %s: unknown kind %d", a.ID, a.Kind)
		}
		t, err := store.TierOfID(a.ID)
		if err != nil {
			return fmt.Errorf("redisstore: ack: %w", err)
		}
		byTier[t.Index()] = append(byTier[t.Index()], i)
	}
	calls := make([]call, 0, 1)
	for ti, idx := range byTier {
		if len(idx) > 0 {
			calls = append(calls, ackCall(&s.tiers[ti], acks, idx))
		}
	}
	if len(calls) == 0 {
		return nil
	}
	if _, err := s.runMulti(ctx, calls); err != nil {
		return fmt.Errorf("redisstore: ack %d jobs: %w", len(acks), err)
	}
	return nil
}

// ackCall builds the ack script call for acks[idx], all of tier k.
func ackCall(k *tierKeys, acks []store.Ack, idx []int) call {
	keys := []string{k.active, k.waiting, k.delayed, k.completed, k.expiry, k.failed, k.marker, k.stats, k.jobs, k.started}
	args := make([]string, 0, 1+7*len(idx))
	args = append(args, itoa(int64(len(idx))))
	for _, i := range idx {
		a := &acks[i]
		args = append(args, a.ID, itoa(int64(a.Kind)), itoa(a.Now), itoa(a.RunAt), a.Error, string(a.Result), itoa(a.StartedAt))
	}
	return call{s: scriptAck, keys: keys, args: args}
}

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
// calls of at most Options.SweepBatch jobs each, and returns how many it moved.
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
	return s.sweep(ctx, c, "rescue "+tier.String())
}

// sweep runs c until one call moves fewer than Options.SweepBatch jobs, and returns the total.
func (s *Store) sweep(ctx context.Context, c call, what string) (int, error) {
	total := 0
	for {
		m, err := s.run(ctx, c)
		if err != nil {
			return total, fmt.Errorf("redisstore: %s: %w", what, err)
		}
		n, err := m.AsInt64()
		if err != nil {
			return total, fmt.Errorf("redisstore: %s: %w", what, err)
		}
		total += int(n)
		if n < int64(s.opts.SweepBatch) {
			return total, nil
		}
	}
}
