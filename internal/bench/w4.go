package bench

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/slaqhq/slaq"
)

// w4Queue is W4's queue name.
const w4Queue = "w4"

// runW4 is W4, burst: idle workers, then many concurrent enqueues at once; how soon the
// first starts and how close the last ends to the ideal.
func runW4(ctx context.Context, e *runEnv, p Params, _ string) error {
	w := p.W4
	if w.Jobs <= 0 || w.Workers <= 0 {
		return fmt.Errorf("W4 needs jobs and workers: %+v", w)
	}
	rec := newRecorder(w.Jobs)
	h := &handler{queues: map[string]*recorder{w4Queue: rec}}
	c, err := e.client(oneTier(w.Workers, h))
	if err != nil {
		return err
	}
	cpu0, err := e.mark()
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	time.Sleep(w.IdleBefore)

	tier := slaq.WithTier(slaq.Medium)
	sleepMs := int(w.Sleep / time.Millisecond)
	gate := make(chan struct{})
	returned := make([]int64, w.Jobs)
	errs := make([]error, w.Jobs)
	var ready, wg sync.WaitGroup
	for i := range w.Jobs {
		ready.Add(1)
		wg.Go(func() {
			buf := make([]byte, 0, 64)
			ready.Done()
			<-gate
			t := clock()
			_, errs[i] = c.Enqueue(ctx, benchJobType, payload{Q: w4Queue, I: i, T: t, S: sleepMs}.encode(buf), tier)
			returned[i] = clock()
		})
	}
	ready.Wait()
	t0 := clock()
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("enqueue %d: %w", i, err)
		}
	}
	rec.wait(ctx, w.Timeout)
	cpu1, err := e.finish(ctx, c, h)
	if err != nil {
		return err
	}

	r := e.res
	var lastRet int64
	for _, v := range returned {
		lastRet = max(lastRet, v)
	}
	recs := rec.completed()
	var first, last int64
	pickup := make([]float64, len(recs))
	for k, x := range recs {
		if k == 0 || x.start < first {
			first = x.start
		}
		last = max(last, x.end)
		pickup[k] = ms(x.start - x.t)
	}
	r.add("all_enqueued_ms", ms(lastRet-t0))
	if len(recs) > 0 {
		r.add("all_completed_ms", ms(last-t0))
		r.add("first_pickup_ms", ms(first-t0))
	} else {
		r.NA = append(r.NA, "all_completed_ms", "first_pickup_ms")
	}
	r.distribution("pickup_ms", pickup)
	rounds := math.Ceil(float64(w.Jobs) / float64(w.Workers))
	r.add("ideal_completed_ms", rounds*float64(w.Sleep)/float64(time.Millisecond))
	r.add("processed", float64(len(recs)))
	r.add("duplicates", float64(rec.dups.Load()))
	e.cpu(cpu0, cpu1)
	return nil
}
