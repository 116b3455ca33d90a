package redisstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/store"
)

// Get returns the job with id, or an error wrapping store.ErrNotFound. It reads with the get
// script: an active job's state, StartedAt and LeaseUntil are not in its record.
func (s *Store) Get(ctx context.Context, id string) (*store.Job, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	t, err := store.TierOfID(id)
	if err != nil {
		return nil, fmt.Errorf("redisstore: get: %w", err)
	}
	k := &s.tiers[t.Index()]
	m, err := s.run(ctx, call{s: scriptGet, keys: []string{k.jobs, k.active, k.started}, args: []string{id}})
	if err != nil {
		return nil, fmt.Errorf("redisstore: get job %s: %w", id, err)
	}
	arr, err := m.ToArray()
	if err != nil || len(arr) == 0 {
		return nil, fmt.Errorf("redisstore: get job %s: unexpected reply %v: %v", id, m, err)
	}
	if arr[0].IsNil() {
		return nil, fmt.Errorf("redisstore: job %s: %w", id, store.ErrNotFound)
	}
	rec, err := arr[0].ToString()
	if err != nil {
		return nil, fmt.Errorf("redisstore: get job %s: %w", id, err)
	}
	j, err := decodeRecord(id, rec)
	if err != nil {
		return nil, err
	}
	if len(arr) == 3 && !arr[1].IsNil() {
		j.State = store.StateActive
		if j.LeaseUntil, err = parseMs(arr[1]); err != nil {
			return nil, fmt.Errorf("redisstore: job %s: LeaseUntil: %w", id, err)
		}
		if !arr[2].IsNil() { // else a record written active by an earlier version keeps its own
			if j.StartedAt, err = parseMs(arr[2]); err != nil {
				return nil, fmt.Errorf("redisstore: job %s: StartedAt: %w", id, err)
			}
		}
	}
	return j, nil
}

// parseMs reads a millisecond time from a bulk string reply (a ZSET score or a HASH value).
func parseMs(m rueidis.RedisMessage) (int64, error) {
	s, err := m.ToString()
	if err != nil {
		return 0, err
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64) // a score Redis printed in exponent form
	return int64(f), err
}

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

// Counts reads every tier's counts with O(1) commands (LLEN, ZCARD, HMGET), pipelined in
// one round trip per server.
func (s *Store) Counts(ctx context.Context) ([store.NumTiers]store.Counts, error) {
	var out [store.NumTiers]store.Counts
	if err := s.live(); err != nil {
		return out, err
	}
	const per = 4
	b := s.client.B()
	cmds := make(rueidis.Commands, 0, per*store.NumTiers)
	for i := range s.tiers {
		k := &s.tiers[i]
		cmds = append(cmds,
			b.Llen().Key(k.waiting).Build(),
			b.Zcard().Key(k.active).Build(),
			b.Zcard().Key(k.delayed).Build(),
			b.Hmget().Key(k.stats).Field("c", "f", "p").Build())
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	res := s.client.DoMulti(ctx, cmds...)
	for i := range out {
		r := res[i*per : (i+1)*per]
		c := &out[i]
		var errs [per]error
		c.Waiting, errs[0] = r[0].AsInt64()
		c.Active, errs[1] = r[1].AsInt64()
		c.Delayed, errs[2] = r[2].AsInt64()
		st, err := r[3].ToArray()
		errs[3] = err
		for _, e := range errs {
			if e != nil {
				return out, fmt.Errorf("redisstore: counts of %s: %w", store.Tiers[i], e)
			}
		}
		c.Completed, _ = st[0].AsInt64()
		c.Failed, _ = st[1].AsInt64()
		c.Paused = !st[2].IsNil()
	}
	return out, nil
}

// Dead returns up to limit failed jobs of tier, oldest first, read with one script call.
func (s *Store) Dead(ctx context.Context, tier store.Tier, limit int) ([]*store.Job, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	k, err := s.keys(tier)
	if err != nil || limit <= 0 {
		return nil, err
	}
	m, err := s.run(ctx, call{s: scriptDead, keys: []string{k.failed, k.jobs}, args: []string{itoa(int64(limit))}})
	if err != nil {
		return nil, fmt.Errorf("redisstore: dead jobs of %s: %w", tier, err)
	}
	arr, err := m.ToArray()
	if err != nil {
		return nil, fmt.Errorf("redisstore: dead jobs of %s: %w", tier, err)
	}
	jobs := make([]*store.Job, 0, len(arr)/2)
	for i := 0; i+1 < len(arr); i += 2 {
		id, err := arr[i].ToString()
		if err != nil {
			return nil, fmt.Errorf("redisstore: dead jobs of %s: %w", tier, err)
		}
		rec, err := arr[i+1].ToString()
		if err != nil {
			return nil, fmt.Errorf("redisstore: dead job %s: %w", id, err)
		}
		j, err := decodeRecord(id, rec)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// Forget deletes the given failed jobs of tier with one script call.
func (s *Store) Forget(ctx context.Context, tier store.Tier, ids []string) error {
	if err := s.live(); err != nil {
		return err
	}
	k, err := s.keys(tier)
	if err != nil || len(ids) == 0 {
		return err
	}
	if _, err := s.run(ctx, call{s: scriptForget, keys: []string{k.failed, k.jobs}, args: ids}); err != nil {
		return fmt.Errorf("redisstore: forget %d jobs of %s: %w", len(ids), tier, err)
	}
	return nil
}

// Clean deletes tier's completed jobs past their retention and all but the keep newest
// (keep < 0: no count limit), in script calls of at most Options.SweepBatch jobs each.
func (s *Store) Clean(ctx context.Context, tier store.Tier, now int64, keep int) (int, error) {
	if err := s.live(); err != nil {
		return 0, err
	}
	k, err := s.keys(tier)
	if err != nil {
		return 0, err
	}
	c := call{s: scriptClean,
		keys: []string{k.completed, k.expiry, k.jobs},
		args: []string{itoa(now), itoa(int64(keep)), itoa(int64(s.opts.SweepBatch))},
	}
	return s.sweep(ctx, c, "clean "+tier.String())
}
