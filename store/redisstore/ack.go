package redisstore

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Ack applies acks with one ack script call per tier (the tier each id encodes), all
// pipelined in one round trip. Each job changes state atomically; an ack for a job that is
// not active, or for another run than the active one, is ignored. A complete ack with
// KeepCompleted > 0 trims the tier's oldest completed jobs beyond that many in the same call.
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

// ackStride is the number of ARGV entries per ack in scripts/ack.lua.
const ackStride = 8

// ackCall builds the ack script call for acks[idx], all of tier tk.
func ackCall(tk *tierKeys, acks []store.Ack, idx []int) call {
	keys := []string{tk.active, tk.waiting, tk.delayed, tk.completed, tk.expiry, tk.failed, tk.marker, tk.stats, tk.jobs, tk.started}
	args := make([]string, 0, 1+ackStride*len(idx))
	args = append(args, itoa(int64(len(idx))))
	for _, i := range idx {
		a := &acks[i]
		args = append(args, a.ID, itoa(int64(a.Kind)), itoa(a.Now), itoa(a.RunAt), a.Error, string(a.Result),
			itoa(a.StartedAt), itoa(int64(max(a.KeepCompleted, 0))))
	}
	return call{s: scriptAck, keys: keys, args: args}
}
