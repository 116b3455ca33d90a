package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/slaqhq/slaq"
)

// RL's queues (the payload's q) and its job types.
const (
	rlUnlimitedQueue = "unlimited"
	rlLimitedQueue   = "limited"
	rlOtherQueue     = "other"
	// RLLimitedType is the job type RL limits (the guide's send_email).
	RLLimitedType = "send_email"
	// rlOtherType is variant same-rate's second type: no limit, arriving at the limit's rate.
	rlOtherType = "notify"
)

// rlTier is the tier both of RL's streams share.
const rlTier = slaq.High

// runRL is RL, rate limits: a steady open-loop stream of unlimited jobs into HIGH (Poisson
// arrivals by default, or periodic), and in
// variant with a backlog of a rate-limited type in the same tier. It measures the unlimited
// jobs' pickup (the cost of the limited lane to the types it does not limit) and the limited
// type's achieved start rate over the window against its limit. Variant without runs the
// unlimited stream alone, with no limit configured; variant same-rate adds, through the
// window, a second open-loop stream of another unlimited type at the limit's rate with the
// limited jobs' sleep: the work the limited type brings, without the limit.
func runRL(ctx context.Context, e *runEnv, p Params, variant string) error {
	w := p.RL
	nUnl := int(float64(w.UnlimitedRate) * w.Measure.Seconds())
	if w.Workers <= 0 || w.UnlimitedRate <= 0 || nUnl <= 0 || w.LimitRate <= 0 || w.LimitPer < time.Millisecond ||
		w.LimitBurst < 0 || w.BulkChunk <= 0 || w.BacklogFactor <= 0 {
		return fmt.Errorf("RL needs workers, an unlimited load, a limit of at least 1 per ms-or-longer period and a bulk chunk: %+v", w)
	}
	if w.Arrivals != RLArrivalsPoisson && w.Arrivals != RLArrivalsPeriodic {
		return fmt.Errorf("RL arrivals %q: want %s or %s", w.Arrivals, RLArrivalsPoisson, RLArrivalsPeriodic)
	}
	// schedule spaces n jobs at mean gap; the second stream gets a seed of its own.
	schedule := func(n int, gap time.Duration, seed uint64) func(int) time.Duration {
		if w.Arrivals == RLArrivalsPeriodic {
			return func(i int) time.Duration { return time.Duration(i) * gap }
		}
		return poissonAt(n, gap, seed)
	}
	with, same := variant == VariantWith, variant == VariantSameRate
	otherInterval := w.LimitPer / time.Duration(w.LimitRate)
	nLim, nOther := 0, 0
	recs := map[string]*recorder{rlUnlimitedQueue: newRecorder(nUnl)}
	switch {
	case with:
		nLim = w.Backlog()
		recs[rlLimitedQueue] = newRecorder(nLim)
	case same:
		nOther = int(w.Measure / otherInterval)
		recs[rlOtherQueue] = newRecorder(nOther)
	}
	h := &handler{queues: recs}
	cfg := slaq.Config{Handler: h, Tiers: map[slaq.Tier]slaq.TierConfig{rlTier: {Workers: w.Workers, MaxWorkers: w.Workers}}}
	r := e.res
	r.setConfig("unlimited", fmt.Sprintf("%d/s (%s) for %s, %s each, %s workers %d", w.UnlimitedRate, w.Arrivals, w.Measure, w.UnlimitedSleep, rlTier, w.Workers))
	if with {
		cfg.RateLimits = map[string]slaq.RateLimit{RLLimitedType: {Rate: w.LimitRate, Per: w.LimitPer, Burst: w.LimitBurst, Tier: rlTier}}
		r.setConfig("limited", fmt.Sprintf("%s %d per %s, burst %d, backlog %d, %s each", RLLimitedType, w.LimitRate, w.LimitPer,
			w.LimitBurst, nLim, w.LimitedSleep))
	}
	if same {
		r.setConfig("other", fmt.Sprintf("%s, no limit, one every %s (%s) through the window, %s each", rlOtherType, otherInterval, w.Arrivals, w.LimitedSleep))
	}
	c, err := e.client(cfg)
	if err != nil {
		return err
	}
	tier := slaq.WithTier(rlTier)

	cpu0, err := e.mark()
	if err != nil {
		return err
	}
	if with {
		reqs := make([]slaq.Request, nLim)
		sleep := int(w.LimitedSleep / time.Millisecond)
		for k := range reqs {
			reqs[k] = slaq.Request{Type: RLLimitedType, Options: []slaq.Option{tier},
				Payload: payload{Q: rlLimitedQueue, I: k, S: sleep}.encode(nil)}
		}
		for k := 0; k < len(reqs); k += w.BulkChunk {
			if _, err := c.EnqueueBulk(ctx, reqs[k:min(k+w.BulkChunk, len(reqs))]); err != nil {
				return fmt.Errorf("pre-fill %s %d+: %w", RLLimitedType, k, err)
			}
		}
	}
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	time.Sleep(w.Warmup)

	var other paced
	otherErr := make(chan error, 1)
	if same {
		sleep := int(w.LimitedSleep / time.Millisecond)
		go func() {
			var err error
			other, err = paceAt(nOther, schedule(nOther, otherInterval, w.Seed+1), func(i int, t int64) error {
				b := payload{Q: rlOtherQueue, I: i, T: t, S: sleep}.encode(make([]byte, 0, 64))
				_, err := c.Enqueue(ctx, rlOtherType, b, tier)
				return err
			})
			otherErr <- err
		}()
	}
	interval := time.Second / time.Duration(w.UnlimitedRate)
	sleep := int(w.UnlimitedSleep / time.Millisecond)
	load, err := paceAt(nUnl, schedule(nUnl, interval, w.Seed), func(i int, t int64) error {
		b := payload{Q: rlUnlimitedQueue, I: i, T: t, S: sleep}.encode(make([]byte, 0, 64))
		_, err := c.Enqueue(ctx, benchJobType, b, tier)
		return err
	})
	if err != nil {
		return fmt.Errorf("enqueue unlimited: %w", err)
	}
	if same {
		if err := <-otherErr; err != nil {
			return fmt.Errorf("enqueue %s: %w", rlOtherType, err)
		}
		recs[rlOtherQueue].wait(ctx, w.DrainTimeout)
	}
	tc0, tc1 := load.first, load.first+int64(w.Measure)
	recs[rlUnlimitedQueue].wait(ctx, w.DrainTimeout)
	if d := tc1 - clock(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	if with { // the rest of the backlog needs its time at the limit
		lim := recs[rlLimitedQueue]
		left := time.Duration(nLim-int(lim.done.Load())) * w.LimitPer / time.Duration(w.LimitRate)
		lim.wait(ctx, left+w.DrainTimeout)
	}
	deferrals := c.RateLimited()[RLLimitedType]
	cpu1, err := e.finish(ctx, c, h)
	if err != nil {
		return err
	}

	unl := recs[rlUnlimitedQueue]
	done := unl.completed()
	pickup := make([]float64, len(done))
	for k, rec := range done {
		pickup[k] = ms(rec.start - rec.t)
	}
	enqUs := make([]float64, len(load.enqNs))
	for i, d := range load.enqNs {
		enqUs[i] = us(d)
	}
	r.distribution("unlimited_pickup_ms", pickup)
	r.distribution("unlimited_enqueue_us", enqUs)
	r.add("unlimited_picked", float64(len(done)))
	r.add("unlimited_missing", float64(nUnl-len(done)))
	r.add("unlimited_duplicates", float64(unl.dups.Load()))
	r.add("unlimited_rate_achieved", load.achieved(interval))
	if same {
		od := recs[rlOtherQueue].completed()
		op := make([]float64, len(od))
		for k, rec := range od {
			op[k] = ms(rec.start - rec.t)
		}
		r.distribution("other_pickup_ms", op)
		r.add("other_picked", float64(len(od)))
		r.add("other_missing", float64(nOther-len(od)))
		r.add("other_rate_achieved", other.achieved(otherInterval))
	}
	if with {
		rlLimited(r, w, recs[rlLimitedQueue], nLim, tc0, tc1, deferrals)
	} else {
		r.NA = append(r.NA, rlLimitedMetrics...)
	}
	e.cpu(cpu0, cpu1)
	return nil
}

// rlLimitedMetrics are RL's figures of the limited type, n/a in variant without.
var rlLimitedMetrics = []string{"limited_backlog", "limited_done", "limited_duplicates", "limited_in_window",
	"limited_starts_per_s", "limited_limit_per_s", "limited_rate_ratio", "limited_after_window",
	"limited_max_per_period", "limited_allowed_per_period", "limited_fetches_held"}

// rlLimited adds the limited type's figures: its achieved rate over the window [tc0, tc1)
// from the handlers' own start times, and the most starts any one period saw, from the runs'
// StartedAt (the store's clock, on which the limit is decided), against Rate + Burst.
func rlLimited(r *Result, w RLParams, rec *recorder, n int, tc0, tc1 int64, deferrals uint64) {
	done := rec.completed()
	var in, after int
	at := make([]int64, len(done))
	for k, x := range done {
		switch {
		case x.start >= tc0 && x.start < tc1:
			in++
		case x.start >= tc1:
			after++
		}
		at[k] = x.at
	}
	achieved := float64(in) / time.Duration(tc1-tc0).Seconds()
	limit := float64(w.LimitRate) / w.LimitPer.Seconds()
	r.add("limited_backlog", float64(n))
	r.add("limited_done", float64(len(done)))
	r.add("limited_duplicates", float64(rec.dups.Load()))
	r.add("limited_in_window", float64(in))
	r.add("limited_starts_per_s", math.Round(achieved*100)/100)
	r.add("limited_limit_per_s", math.Round(limit*100)/100)
	r.add("limited_rate_ratio", math.Round(achieved/limit*10000)/10000)
	r.add("limited_after_window", float64(after))
	r.add("limited_max_per_period", float64(maxInWindow(at, w.LimitPer.Milliseconds())))
	r.add("limited_allowed_per_period", float64(w.LimitRate+w.LimitBurst))
	r.add("limited_fetches_held", float64(deferrals))
	if after == 0 {
		r.Flags = append(r.Flags, "the limited backlog ran out before the window closed: its rate is not the limit's")
	}
}

// maxInWindow is the most of the times ts (any order) that fall in one half-open window
// [t, t+width).
func maxInWindow(ts []int64, width int64) int {
	s := slices.Clone(ts)
	slices.Sort(s)
	best, j := 0, 0
	for i := range s {
		for j < len(s) && s[j] < s[i]+width {
			j++
		}
		best = max(best, j-i)
	}
	return best
}
