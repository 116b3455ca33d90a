package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/store"
)

// Fetch claims up to req.Limit jobs of req.Tier with one fetch script call: it promotes due
// delayed jobs (at most Options.PromoteBatch per call), honours the pause flag and req.Cap,
// and returns the claimed jobs and the tier's next delayed RunAt. A Limit below 1 is an error.
func (s *Store) Fetch(ctx context.Context, req store.FetchRequest) (store.FetchResult, error) {
	if err := s.live(); err != nil {
		return store.FetchResult{}, err
	}
	k, err := s.keys(req.Tier)
	if err != nil {
		return store.FetchResult{}, err
	}
	if req.Limit < 1 {
		return store.FetchResult{}, fmt.Errorf("redisstore: fetch %s: limit %d, want at least 1", req.Tier, req.Limit)
	}
	m, err := s.run(ctx, fetchCall(k, req, s.opts.PromoteBatch))
	if err != nil {
		return store.FetchResult{}, fmt.Errorf("redisstore: fetch %s: %w", req.Tier, err)
	}
	return parseFetch(m, req)
}

// fetchCall builds the fetch script call.
func fetchCall(k *tierKeys, req store.FetchRequest, promote int) call {
	return call{s: scriptFetch,
		keys: []string{k.waiting, k.delayed, k.active, k.marker, k.stats, k.jobs, k.started, k.limits, k.rates, k.held, k.lanes},
		args: []string{itoa(req.Now), itoa(int64(req.Limit)), itoa(req.Now + req.LeaseMs), itoa(int64(req.Cap)), itoa(int64(promote)), itoa(int64(max(promote, req.Limit)))},
	}
}

// parseFetch reads the fetch script's reply, {paused, nextRunAt, {id, ...}, {record, ...}},
// and returns the claimed jobs as active with LeaseUntil req.Now + req.LeaseMs and the
// StartedAt the script gave them (see runStart); the script leaves their records as they
// were, so the active ZSET and started HASH hold these.
func parseFetch(m rueidis.RedisMessage, req store.FetchRequest) (store.FetchResult, error) {
	var res store.FetchResult
	arr, err := m.ToArray()
	if err != nil || (len(arr) != 2 && len(arr) != 4 && len(arr) != 6) {
		return res, fmt.Errorf("redisstore: fetch: unexpected reply %v: %v", m, err)
	}
	paused, _ := arr[0].AsInt64()
	res.Paused = paused == 1
	res.NextRunAt, _ = arr[1].AsInt64()
	if len(arr) == 2 {
		return res, nil
	}
	if len(arr) == 6 {
		res.HeldUntil, _ = arr[4].AsInt64()
		types, err := arr[5].AsStrSlice()
		if err != nil {
			return res, fmt.Errorf("redisstore: fetch: deferred types: %w", err)
		}
		if len(types) > 0 {
			res.Deferred = types
		}
	}
	ids, err := arr[2].ToArray()
	if err != nil {
		return res, fmt.Errorf("redisstore: fetch: job ids: %w", err)
	}
	recs, err := arr[3].ToArray()
	if err != nil || len(recs) != len(ids) {
		return res, fmt.Errorf("redisstore: fetch: %d records for %d ids: %v", len(recs), len(ids), err)
	}
	res.Jobs = make([]*store.Job, 0, len(ids))
	for i := range ids {
		if recs[i].IsNil() {
			continue // an id without a record: dropped, not claimed
		}
		id, err := ids[i].ToString()
		if err != nil {
			return res, fmt.Errorf("redisstore: fetch: job id: %w", err)
		}
		rec, err := recs[i].ToString()
		if err != nil {
			return res, fmt.Errorf("redisstore: fetch: job %s: %w", id, err)
		}
		j, err := decodeRecord(id, rec)
		if err != nil {
			return res, err
		}
		j.State, j.StartedAt, j.LeaseUntil = store.StateActive, runStart(req.Now, j.StartedAt), req.Now+req.LeaseMs
		res.Jobs = append(res.Jobs, j)
	}
	return res, nil
}

// runStart returns the StartedAt of a run claimed at now of a job whose previous run started
// at prev (0 if none): now, or prev + 1 when prev is not earlier, so that every run of a job
// has its own StartedAt. It is the rule scripts/fetch.lua applies.
func runStart(now, prev int64) int64 {
	if prev > 0 && prev >= now {
		return prev + 1
	}
	return now
}
