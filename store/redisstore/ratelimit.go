package redisstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/slaqhq/slaq/store"
)

// SetRateLimit sets, changes or removes a type's limit in its tier with the set_rate
// script; every process sharing the prefix applies it from its next fetch. See
// [store.RateLimit] for the rule and scripts/fetch.lua for the lanes.
func (s *Store) SetRateLimit(ctx context.Context, l store.RateLimit) error {
	if err := s.live(); err != nil {
		return err
	}
	if err := l.Validate(); err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	k := &s.tiers[l.Tier.Index()]
	spec := ""
	if l.Rate > 0 {
		spec = fmt.Sprintf("%d:%d:%d", l.Rate, l.PeriodMs, l.Burst)
	}
	if _, err := s.run(ctx, call{s: scriptSetRate, keys: []string{k.limits, k.lanes, k.marker}, args: []string{l.Type, spec}}); err != nil {
		return fmt.Errorf("redisstore: set rate limit %s/%s: %w", l.Tier, l.Type, err)
	}
	return nil
}

// RateLimits reads tier's limits and their GCRA state (two HGETALLs, pipelined; read only).
func (s *Store) RateLimits(ctx context.Context, tier store.Tier, now int64) ([]store.RateLimitState, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	k, err := s.keys(tier)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	b := s.client.B()
	res := s.client.DoMulti(ctx, b.Hgetall().Key(k.limits).Build(), b.Hgetall().Key(k.rates).Build())
	limits, err := res[0].AsStrMap()
	if err != nil {
		return nil, fmt.Errorf("redisstore: rate limits of %s: %w", tier, err)
	}
	tats, err := res[1].AsStrMap()
	if err != nil {
		return nil, fmt.Errorf("redisstore: rate state of %s: %w", tier, err)
	}
	out := make([]store.RateLimitState, 0, len(limits))
	for ty, spec := range limits {
		l := store.RateLimit{Tier: tier, Type: ty}
		parts := strings.Split(spec, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("redisstore: rate limit %s/%s: bad value %q", tier, ty, spec)
		}
		r, err1 := strconv.Atoi(parts[0])
		p, err2 := strconv.ParseInt(parts[1], 10, 64)
		bu, err3 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("redisstore: rate limit %s/%s: bad value %q", tier, ty, spec)
		}
		l.Rate, l.PeriodMs, l.Burst = r, p, bu
		st := store.RateLimitState{RateLimit: l, NextFreeAt: now}
		if tat, err := strconv.ParseFloat(tats[ty], 64); err == nil {
			_, tau := l.GCRA()
			st.NextFreeAt = max(now, int64(math.Ceil(tat-tau)))
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b store.RateLimitState) int { return strings.Compare(a.Type, b.Type) })
	return out, nil
}
