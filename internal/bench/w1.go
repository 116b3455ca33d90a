package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slaqhq/slaq"
)

// w1Queue is W1's queue name.
const w1Queue = "w1"

// benchJobType is the job type of every bench job but RL's limited ones (the bench has one
// handler for all).
const benchJobType = "bench"

// w1IdleType is the type variant bulk-idle-limit limits; no job of it is ever enqueued.
const w1IdleType = "idle_limited"

// runW1 is W1, throughput: enqueue all jobs (in bulk calls or from concurrent single-job
// producers), then start the workers and time how fast they drain the queue.
func runW1(ctx context.Context, e *runEnv, p Params, variant string) error {
	w := p.W1
	if w.Jobs <= 0 || w.Producers <= 0 || w.Jobs%w.Producers != 0 || w.BulkChunk <= 0 {
		return fmt.Errorf("W1 needs jobs divisible by producers and a positive bulk chunk: %+v", w)
	}
	rec := newRecorder(w.Jobs)
	h := &handler{queues: map[string]*recorder{w1Queue: rec}}
	cfg := oneTier(w.Workers, h)
	if variant == VariantBulkIdleLimit {
		cfg.RateLimits = map[string]slaq.RateLimit{w1IdleType: {Rate: 1, Tier: slaq.Medium}}
		e.res.setConfig("idle limit", w1IdleType+" 1 per "+slaq.DefaultRateLimitPer.String()+" in MEDIUM, no job of it enqueued")
	}
	c, err := e.client(cfg)
	if err != nil {
		return err
	}
	// Not timed: every payload and request is built up front.
	tier := []slaq.Option{slaq.WithTier(slaq.Medium)}
	reqs := make([]slaq.Request, w.Jobs)
	for i := range reqs {
		reqs[i] = slaq.Request{Type: benchJobType, Payload: payload{Q: w1Queue, I: i}.encode(nil), Options: tier}
	}

	cpu0, err := e.mark()
	if err != nil {
		return err
	}
	t0 := clock()
	switch variant {
	case VariantBulk, VariantBulkIdleLimit:
		for i := 0; i < len(reqs); i += w.BulkChunk {
			if _, err := c.EnqueueBulk(ctx, reqs[i:min(i+w.BulkChunk, len(reqs))]); err != nil {
				return fmt.Errorf("enqueue jobs %d+: %w", i, err)
			}
		}
	case VariantSingle:
		if err := produce(ctx, c, reqs, w.Producers); err != nil {
			return err
		}
	}
	enqueueNs := clock() - t0

	w0 := clock()
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	rec.wait(ctx, w.Timeout)
	armed := 0
	if variant == VariantBulkIdleLimit { // the limit is in the store (Start stored it)
		ls, err := c.RateLimits(ctx)
		if err != nil {
			return err
		}
		armed = len(ls)
	}
	cpu1, err := e.finish(ctx, c, h)
	if err != nil {
		return err
	}

	recs := rec.completed()
	first, last := int64(0), int64(0)
	for k, r := range recs {
		if k == 0 || r.start < first {
			first = r.start
		}
		last = max(last, r.end)
	}
	processNs := last - first
	r := e.res
	r.add("enqueue_jobs_per_s", rate(w.Jobs, time.Duration(enqueueNs)))
	r.add("process_jobs_per_s", rate(len(recs), time.Duration(processNs)))
	r.add("enqueue_s", round3(time.Duration(enqueueNs).Seconds()))
	r.add("process_s", round3(time.Duration(processNs).Seconds()))
	r.add("processed", float64(len(recs)))
	r.add("duplicates", float64(rec.dups.Load()))
	if variant == VariantBulkIdleLimit {
		r.add("limits_armed", float64(armed))
	}
	if len(recs) > 0 {
		r.add("workers_start_to_first_ms", ms(first-w0))
	} else {
		r.NA = append(r.NA, "workers_start_to_first_ms")
	}
	e.cpu(cpu0, cpu1)
	return nil
}

// produce enqueues reqs one call at a time from n concurrent producers sharing c: producer p
// enqueues the p-th contiguous share, each call waiting for the previous one.
func produce(ctx context.Context, c *slaq.Client, reqs []slaq.Request, n int) error {
	per := len(reqs) / n
	errs := make([]error, n)
	var wg sync.WaitGroup
	for p := range n {
		wg.Go(func() {
			for i := p * per; i < (p+1)*per; i++ {
				r := reqs[i]
				if _, err := c.Enqueue(ctx, r.Type, r.Payload, r.Options...); err != nil {
					errs[p] = fmt.Errorf("producer %d, job %d: %w", p, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
