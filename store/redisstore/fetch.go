package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/store"
)

// Fetch claims up to req.Limit jobs of req.Tier with one fetch script call: it promotes due
// delayed jobs, honours the pause flag and req.Cap, and returns the claimed jobs and the
// tier's next delayed RunAt.
func (s *Store) Fetch(ctx context.Context, req store.FetchRequest) (store.FetchResult, error) {
	if err := s.live(); err != nil {
		return store.FetchResult{}, err
	}
	k, err := s.keys(req.Tier)
	if err != nil {
		return store.FetchResult{}, err
	}
	limit := max(req.Limit, 1)
	m, err := s.run(ctx, fetchCall(k, req, limit, s.opts.PromoteBatch))
	if err != nil {
		return store.FetchResult{}, fmt.Errorf("redisstore: fetch %s: %w", req.Tier, err)
	}
	return parseFetch(m, limit, req.Now, req.Now+req.LeaseMs)
}

// fetchCall builds the fetch script call.
func fetchCall(k *tierKeys, req store.FetchRequest, limit, promote int) call {
	return call{s: scriptFetch,
		keys: []string{k.waiting, k.delayed, k.active, k.marker, k.stats, k.jobs, k.started},
		args: []string{itoa(req.Now), itoa(int64(limit)), itoa(req.Now + req.LeaseMs), itoa(int64(req.Cap)), itoa(int64(promote))},
	}
}

// parseFetch reads the fetch script's reply, {paused, nextRunAt, {id, ...}, {record, ...}},
// and returns the claimed jobs as active since startedAt with LeaseUntil leaseUntil (the
// script leaves their records as they were: the active ZSET and started HASH hold these).
func parseFetch(m rueidis.RedisMessage, limit int, startedAt, leaseUntil int64) (store.FetchResult, error) {
	var res store.FetchResult
	arr, err := m.ToArray()
	if err != nil || (len(arr) != 2 && len(arr) != 4) {
		return res, fmt.Errorf("redisstore: fetch: unexpected reply %v: %v", m, err)
	}
	paused, _ := arr[0].AsInt64()
	res.Paused = paused == 1
	res.NextRunAt, _ = arr[1].AsInt64()
	if len(arr) == 2 {
		return res, nil
	}
	ids, err := arr[2].ToArray()
	if err != nil {
		return res, fmt.Errorf("redisstore: fetch: job ids: %w", err)
	}
	recs, err := arr[3].ToArray()
	if err != nil || len(recs) != len(ids) {
		return res, fmt.Errorf("redisstore: fetch: %d records for %d ids: %v", len(recs), len(ids), err)
	}
	res.Jobs = make([]*store.Job, 0, min(len(ids), limit))
	for i := range ids {
		if recs[i].IsNil() {
			continue // an id without a record: not claimed
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
		j.State, j.StartedAt, j.LeaseUntil = store.StateActive, startedAt, leaseUntil
		res.Jobs = append(res.Jobs, j)
	}
	return res, nil
}
