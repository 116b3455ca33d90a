package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/slaqhq/slaq/store"
)

// hotPath is the part of the store the W1 benchmark drives, so that the same scripts can be
// measured through rueidis (the Store) and through go-redis (goRedisHot) in one run.
type hotPath interface {
	Enqueue(ctx context.Context, now int64, jobs []*store.Job) ([]store.EnqueueResult, error)
	Fetch(ctx context.Context, req store.FetchRequest) (store.FetchResult, error)
	Ack(ctx context.Context, acks []store.Ack) error
}

// goRedisHot runs the store's enqueue, fetch and ack scripts through go-redis. It handles one
// tier per call, as the benchmark needs; it exists only to compare the clients.
type goRedisHot struct {
	c     *redis.Client
	tiers [store.NumTiers]tierKeys
}

func newGoRedisHot(addr, prefix string) *goRedisHot {
	h := &goRedisHot{c: redis.NewClient(&redis.Options{Addr: addr})}
	for _, t := range store.Tiers {
		h.tiers[t.Index()] = newTierKeys(prefix, t)
	}
	return h
}

func (h *goRedisHot) run(ctx context.Context, c call) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		args[i] = a
	}
	v, err := h.c.EvalSha(ctx, c.s.sha, c.keys, args...).Result()
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		v, err = h.c.Eval(ctx, c.s.body, c.keys, args...).Result()
	}
	return v, err
}

func (h *goRedisHot) Enqueue(ctx context.Context, now int64, jobs []*store.Job) ([]store.EnqueueResult, error) {
	idx := make([]int, len(jobs))
	for i := range idx {
		idx[i] = i
	}
	_, err := h.run(ctx, enqueueCall(&h.tiers[jobs[0].Tier.Index()], now, jobs, idx))
	return nil, err
}

func (h *goRedisHot) Fetch(ctx context.Context, req store.FetchRequest) (store.FetchResult, error) {
	v, err := h.run(ctx, fetchCall(&h.tiers[req.Tier.Index()], req, DefaultPromoteBatch))
	if err != nil {
		return store.FetchResult{}, err
	}
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return store.FetchResult{}, fmt.Errorf("fetch reply %v", v)
	}
	var res store.FetchResult
	res.NextRunAt, _ = arr[1].(int64)
	if len(arr) < 4 {
		return res, nil
	}
	ids, _ := arr[2].([]any)
	recs, _ := arr[3].([]any)
	for i := range ids {
		id, _ := ids[i].(string)
		rec, ok := recs[i].(string)
		if !ok {
			continue
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

func (h *goRedisHot) Ack(ctx context.Context, acks []store.Ack) error {
	if len(acks) == 0 {
		return nil
	}
	idx := make([]int, len(acks))
	for i := range idx {
		idx[i] = i
	}
	t, err := store.TierOfID(acks[0].ID)
	if err != nil {
		return err
	}
	_, err = h.run(ctx, ackCall(&h.tiers[t.Index()], acks, idx))
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return err
}
