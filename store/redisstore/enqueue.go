package redisstore

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Enqueue stores jobs with one enqueue script call per tier, all pipelined in one round trip.
// Each tier's jobs are stored atomically; a batch spanning tiers is atomic per tier only (on a
// Cluster the tiers live on different nodes). A job whose id is stored already, or whose
// unique key ({prefix:N}:u:<key>, per tier) is held, is not stored and comes back Duplicate.
func (s *Store) Enqueue(ctx context.Context, now int64, jobs []*store.Job) ([]store.EnqueueResult, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	var byTier [store.NumTiers][]int
	for i, j := range jobs {
		if err := store.CheckIDTier(j); err != nil {
			return nil, fmt.Errorf("redisstore: enqueue: %w", err)
		}
		byTier[j.Tier.Index()] = append(byTier[j.Tier.Index()], i)
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
		for _, i := range order[c] {
			res[i] = store.EnqueueResult{ID: jobs[i].ID}
		}
		if _, err := m.AsInt64(); err == nil { // every job was stored
			continue
		}
		holders, err := m.AsStrSlice()
		if err != nil || len(holders) != len(order[c]) {
			return nil, fmt.Errorf("redisstore: enqueue: unexpected reply %v: %v", m, err)
		}
		for k, i := range order[c] {
			if h := holders[k]; h != "" {
				res[i] = store.EnqueueResult{ID: h, Duplicate: true}
			}
		}
	}
	return res, nil
}

// enqueueCall builds the enqueue script call for jobs[idx], all of tier tk: the plain form
// (one existence check, then records and ids passed straight to HSET and LPUSH) when every
// job is runnable at now and none has a unique key, else the general form (see
// scripts/enqueue.lua).
func enqueueCall(tk *tierKeys, now int64, jobs []*store.Job, idx []int) call {
	plain := true
	for _, i := range idx {
		if j := jobs[i]; j.RunAt > now || hasUnique(j) {
			plain = false
			break
		}
	}
	n := itoa(int64(len(idx)))
	if plain {
		args := make([]string, 2+3*len(idx))
		args[0], args[1] = n, "p"
		for k, i := range idx {
			j := jobs[i]
			args[2+2*k], args[3+2*k] = j.ID, encodeRecord(j, store.StateWaiting)
			args[2+2*len(idx)+k] = j.ID
		}
		return call{s: scriptEnqueue, keys: []string{tk.waiting, tk.delayed, tk.marker, tk.stats, tk.jobs}, args: args}
	}
	keys := make([]string, 0, 5+len(idx))
	keys = append(keys, tk.waiting, tk.delayed, tk.marker, tk.stats, tk.jobs)
	args := make([]string, 0, 3+len(idx)*5)
	args = append(args, n, "g", itoa(now))
	for _, i := range idx {
		j := jobs[i]
		uexp := int64(0)
		if hasUnique(j) {
			keys = append(keys, tk.uniqueKey(j.UniqueKey))
			uexp = now + j.UniqueTTLMs
		}
		state := store.StateWaiting
		if j.RunAt > now {
			state = store.StateDelayed
		}
		args = append(args, j.ID, itoa(j.RunAt), itoa(uexp), itoa(j.UniqueTTLMs), encodeRecord(j, state))
	}
	return call{s: scriptEnqueue, keys: keys, args: args}
}

// hasUnique reports whether j takes a unique key: a key and a positive TTL.
func hasUnique(j *store.Job) bool { return j.UniqueKey != "" && j.UniqueTTLMs > 0 }
