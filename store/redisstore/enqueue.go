package redisstore

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Enqueue stores jobs with one enqueue script call per tier, all pipelined in one round trip.
// Each tier's jobs are stored atomically; a batch spanning tiers is atomic per tier only (on a
// Cluster the tiers live on different nodes).
func (s *Store) Enqueue(ctx context.Context, now int64, jobs []*store.Job) ([]store.EnqueueResult, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	var byTier [store.NumTiers][]int
	for i, j := range jobs {
		t, err := store.TierOfID(j.ID)
		if err != nil || t != j.Tier {
			return nil, fmt.Errorf("redisstore: enqueue job %q of tier %d: id does not carry the tier", j.ID, j.Tier)
		}
		byTier[t.Index()] = append(byTier[t.Index()], i)
	}
	calls := make([]call, 0, 1)
	var order [][]int
	for ti, idx := range byTier {
		if len(idx) > 0 {
			calls = append(calls, enqueueCall(&s.tiers[ti], now, jobs, idx))
			order = append(order, idx)
		}
	}
	replies, err := s.runMulti(ctx, calls)
	if err != nil {
		return nil, fmt.Errorf("redisstore: enqueue %d jobs: %w", len(jobs), err)
	}
	res := make([]store.EnqueueResult, len(jobs))
	for c, m := range replies {
		holders, err := m.AsStrSlice()
		if err != nil || len(holders) != len(order[c]) {
			return nil, fmt.Errorf("redisstore: enqueue: unexpected reply %v: %v", m, err)
		}
		for k, i := range order[c] {
			res[i] = store.EnqueueResult{ID: jobs[i].ID}
			if h := holders[k]; h != "" {
				res[i] = store.EnqueueResult{ID: h, Duplicate: true}
			}
		}
	}
	return res, nil
}

// enqueueCall builds the enqueue script call for jobs[idx], all of tier k.
func enqueueCall(k *tierKeys, now int64, jobs []*store.Job, idx []int) call {
	keys := make([]string, 0, 5+len(idx))
	keys = append(keys, k.waiting, k.delayed, k.marker, k.stats, k.jobs)
	args := make([]string, 0, 2+len(idx)*5)
	args = append(args, itoa(now), itoa(int64(len(idx))))
	for _, i := range idx {
		j := jobs[i]
		uk, uexp := k.jobs, int64(0)
		if j.UniqueKey != "" && j.UniqueTTLMs > 0 {
			uk, uexp = k.unique+j.UniqueKey, now+j.UniqueTTLMs
		}
		state := store.StateWaiting
		if j.RunAt > now {
			state = store.StateDelayed
		}
		keys = append(keys, uk)
		args = append(args, j.ID, itoa(j.RunAt), itoa(uexp), itoa(j.UniqueTTLMs), encodeRecord(j, state))
	}
	return call{s: scriptEnqueue, keys: keys, args: args}
}
