package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slaqhq/slaq"
)

// W3's tiers by position in Params.W3.Tiers (slaq tiers 1–5).
const (
	w3Critical = 0
	w3Low      = 3
	w3Batch    = 4
)

// runW3 is W3, SLA isolation: CRITICAL jobs arrive at a steady rate, open loop, while LOW and
// BATCH work through a backlog of slow jobs. Variant tiers gives every tier its own workers
// with no sharing; default is slaq's default configuration; elastic lets idle workers of the
// urgent tiers run backlog jobs beyond LOW's and BATCH's own workers, while each keeps its
// Reserve idle.
func runW3(ctx context.Context, e *runEnv, p Params, variant string) error {
	w := p.W3
	nCrit := int(float64(w.CriticalRate) * w.Window.Seconds())
	if w.BacklogJobs <= 0 || w.BulkChunk <= 0 || w.CriticalRate <= 0 || nCrit <= 0 {
		return fmt.Errorf("W3 needs a backlog, a bulk chunk and a CRITICAL load: %+v", w)
	}
	interval := time.Second / time.Duration(w.CriticalRate)
	names := func(i int) string { return w.Tiers[i].Name }
	recs := map[string]*recorder{
		names(w3Critical): newRecorder(nCrit),
		names(w3Low):      newRecorder(w.BacklogJobs),
		names(w3Batch):    newRecorder(w.BacklogJobs),
	}
	h := &handler{queues: recs}
	cfg := slaq.Config{Handler: h, Tiers: map[slaq.Tier]slaq.TierConfig{}}
	switch variant {
	case VariantTiers:
		cfg.NoUpwardHelp, cfg.NoLending = true, true
	case VariantElastic:
		cfg.NoUpwardHelp = true
	}
	var workers, reserves []string
	for i, t := range slaq.Tiers {
		tc := slaq.TierConfig{Workers: w.Tiers[i].Workers}
		if variant == VariantElastic && (t == slaq.Low || t == slaq.Batch) {
			tc.MaxWorkers = slaq.None // LOW and BATCH may borrow beyond their own workers
		}
		cfg.Tiers[t] = tc
		workers = append(workers, fmt.Sprintf("%s=%d", names(i), w.Tiers[i].Workers))
		reserves = append(reserves, fmt.Sprintf("%s=%d", names(i), min(slaq.DefaultTierConfig(t).Reserve, w.Tiers[i].Workers)))
	}
	e.res.setConfig("workers", strings.Join(workers, " "))
	if !cfg.NoLending {
		e.res.setConfig("reserve", strings.Join(reserves, " "))
	}
	c, err := e.client(cfg)
	if err != nil {
		return err
	}

	cpu0, err := e.mark()
	if err != nil {
		return err
	}
	// Pre-fill: all BATCH jobs, then all LOW jobs.
	p0 := clock()
	for _, i := range []int{w3Batch, w3Low} {
		reqs := make([]slaq.Request, w.BacklogJobs)
		opts := []slaq.Option{slaq.WithTier(slaq.Tiers[i])}
		for k := range reqs {
			reqs[k] = slaq.Request{Type: benchJobType, Options: opts,
				Payload: payload{Q: names(i), I: k, S: int(w.BacklogSleep / time.Millisecond)}.encode(nil)}
		}
		for k := 0; k < len(reqs); k += w.BulkChunk {
			if _, err := c.EnqueueBulk(ctx, reqs[k:min(k+w.BulkChunk, len(reqs))]); err != nil {
				return fmt.Errorf("pre-fill %s %d+: %w", names(i), k, err)
			}
		}
	}
	prefill := clock() - p0

	w0 := clock()
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	time.Sleep(w.Warmup)

	// The CRITICAL producer, open loop: job i is issued at tc0 + i·interval without waiting
	// for earlier calls.
	critOpt := slaq.WithTier(slaq.Critical)
	critSleep := int(w.CriticalSleep / time.Millisecond)
	load, err := pace(nCrit, interval, func(i int, t int64) error {
		b := payload{Q: names(w3Critical), I: i, T: t, S: critSleep}.encode(make([]byte, 0, 64))
		_, err := c.Enqueue(ctx, benchJobType, b, critOpt)
		return err
	})
	if err != nil {
		return fmt.Errorf("enqueue CRITICAL: %w", err)
	}
	tc0 := load.first
	tc1 := tc0 + int64(w.Window)
	recs[names(w3Critical)].wait(ctx, w.DrainTimeout)
	if d := tc1 - clock(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	// Stop before reading the records; only completions that ended by tc1 count.
	cpu1, err := e.finish(ctx, c, h)
	if err != nil {
		return err
	}

	r := e.res
	crit := recs[names(w3Critical)]
	done := crit.completed()
	pickup := make([]float64, len(done))
	e2e := make([]float64, len(done))
	for k, rec := range done {
		pickup[k] = ms(rec.start - rec.t)
		e2e[k] = ms(rec.end - rec.t)
	}
	enqUs := make([]float64, nCrit)
	for i, d := range load.enqNs {
		enqUs[i] = us(d)
	}
	r.distribution("critical_pickup_ms", pickup)
	r.distribution("critical_e2e_ms", e2e)
	r.distribution("critical_enqueue_us", enqUs)
	for _, i := range []int{w3Low, w3Batch} {
		var in, before int
		for _, rec := range recs[names(i)].completed() {
			switch {
			case rec.end >= tc0 && rec.end <= tc1:
				in++
			case rec.end >= w0 && rec.end < tc0:
				before++
			}
		}
		r.add(names(i)+"_done_in_window", float64(in))
		r.add(names(i)+"_done_before_window", float64(before))
	}
	r.add("critical_picked", float64(len(done)))
	r.add("critical_missing", float64(nCrit-len(done)))
	r.add("critical_duplicates", float64(crit.dups.Load()))
	r.add("critical_rate_achieved", load.achieved(interval))
	r.add("prefill_s", round3(time.Duration(prefill).Seconds()))
	e.cpu(cpu0, cpu1)
	return nil
}
