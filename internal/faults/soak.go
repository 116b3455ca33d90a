package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/store"
)

// Soak defaults: the figures.
const (
	SoakJobsDefault      = 200_000
	SoakFailRateDefault  = 0.05
	SoakPanicRateDefault = 0.01
	soakChunk            = 1000
)

// SoakParams configure [Soak]. Zero fields take the defaults above.
type SoakParams struct {
	Jobs      int     // jobs enqueued, spread evenly over the five tiers
	FailRate  float64 // chance that an attempt returns an error
	PanicRate float64 // chance that an attempt panics
	// Keys, when set, counts the store's keys (Redis); Soak reads it before enqueueing and
	// after the queue drained.
	Keys func(ctx context.Context) (int64, error)
	// Progress, when set, receives a line now and then.
	Progress func(string)
}

// SoakResult is what a soak measured. Reconciled reports whether every count agrees.
type SoakResult struct {
	Jobs           int
	Completed      int // jobs whose handler succeeded (once each, or Duplicated counts it)
	Exhausted      int // jobs whose last attempt failed, as the handlers saw it
	Duplicated     int // jobs that completed more than once, or were exhausted more than once
	Runs           int64
	DeadLetterRows int64 // rows in the dead-letter queue at the end
	MissingRows    int   // exhausted jobs with no dead-letter row
	StoreCompleted int64 // the store's running totals, summed over tiers
	StoreFailed    int64
	StoreLeft      int64 // waiting + active + delayed + failed jobs left in the store
	KeysBefore     int64 // Keys before and after (0 without Keys)
	KeysAfter      int64
	HeapBefore     uint64 // live heap after a GC, bytes, before enqueueing and after Stop
	HeapAfter      uint64
	Duration       time.Duration
}

// Reconciled reports whether enqueued = completed + dead-lettered, every exhausted job has
// exactly its dead-letter row, nothing ran twice and nothing is left in the store.
func (r SoakResult) Reconciled() bool {
	return r.Completed+r.Exhausted == r.Jobs && r.Duplicated == 0 && r.MissingRows == 0 &&
		r.DeadLetterRows == int64(r.Exhausted) && r.StoreLeft == 0 &&
		r.StoreCompleted == int64(r.Completed)
}

// String is a one-line summary.
func (r SoakResult) String() string {
	return fmt.Sprintf("%d jobs in %s (%.0f jobs/s): %d completed, %d exhausted, %d dead-letter rows, %d missing, %d duplicated, %d runs; store totals completed %d failed %d, %d left; keys %d → %d; heap %.1f → %.1f MiB",
		r.Jobs, r.Duration.Round(time.Millisecond), float64(r.Jobs)/r.Duration.Seconds(), r.Completed, r.Exhausted,
		r.DeadLetterRows, r.MissingRows, r.Duplicated, r.Runs, r.StoreCompleted, r.StoreFailed, r.StoreLeft,
		r.KeysBefore, r.KeysAfter, float64(r.HeapBefore)/(1<<20), float64(r.HeapAfter)/(1<<20))
}

// allTiers lists the five tiers, most urgent first.
var allTiers = []slaq.Tier{slaq.Critical, slaq.High, slaq.Medium, slaq.Low, slaq.Batch}

// errSoak is the soak's random failure.
var errSoak = errors.New("soak: random failure")

// Soak enqueues p.Jobs jobs over the five tiers on st, runs them with a client whose
// handlers fail p.FailRate and panic p.PanicRate of attempts (retried at once, then
// dead-lettered into dead), waits until every job completed or reached dead, and returns
// the counts. Completed jobs are deleted at once (Retention None), so the store drains.
func Soak(ctx context.Context, st store.Store, dead *dlq.DB, p SoakParams) (SoakResult, error) {
	if p.Jobs <= 0 {
		p.Jobs = SoakJobsDefault
	}
	if p.FailRate == 0 {
		p.FailRate = SoakFailRateDefault
	}
	if p.PanicRate == 0 {
		p.PanicRate = SoakPanicRateDefault
	}
	say := func(format string, args ...any) {
		if p.Progress != nil {
			p.Progress(fmt.Sprintf(format, args...))
		}
	}
	var (
		mu        sync.Mutex
		completed = make(map[string]int, p.Jobs)
		exhausted = make(map[string]int)
		runs      int64
	)
	handler := slaq.HandlerFunc(func(ctx context.Context, j *slaq.Job) error {
		x := rand.Float64()
		last := j.Attempts+1 >= j.MaxAttempts
		mu.Lock()
		runs++
		switch {
		case x < p.FailRate+p.PanicRate:
			if last {
				exhausted[j.ID]++
			}
		default:
			completed[j.ID]++
		}
		mu.Unlock()
		switch {
		case x < p.PanicRate:
			panic("soak: random panic")
		case x < p.FailRate+p.PanicRate:
			return errSoak
		}
		return nil
	})
	tiers := make(map[slaq.Tier]slaq.TierConfig)
	for _, t := range allTiers {
		tiers[t] = slaq.TierConfig{Backoff: slaq.None, Workers: 4, MaxWorkers: slaq.None}
	}
	tiers[slaq.Critical] = slaq.TierConfig{Backoff: slaq.None}
	tiers[slaq.High] = slaq.TierConfig{Backoff: slaq.None}
	var res SoakResult
	res.Jobs = p.Jobs
	if p.Keys != nil {
		n, err := p.Keys(ctx)
		if err != nil {
			return res, err
		}
		res.KeysBefore = n
	}
	res.HeapBefore = liveHeap()
	c, err := slaq.New(st, slaq.Config{Handler: handler, DeadLetters: dead, Retention: slaq.None, Tiers: tiers,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return res, err
	}
	began := time.Now()
	if err := c.Start(ctx); err != nil {
		return res, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = c.Stop(context.Background())
		}
	}()
	reqs := make([]slaq.Request, 0, soakChunk)
	all := allTiers
	for i := 0; i < p.Jobs; i++ {
		payload, _ := json.Marshal(map[string]int{"i": i})
		reqs = append(reqs, slaq.Request{Type: "soak", Payload: json.RawMessage(payload),
			Options: []slaq.Option{slaq.WithTier(all[i%len(all)])}})
		if len(reqs) == soakChunk || i == p.Jobs-1 {
			if _, err := c.EnqueueBulk(ctx, reqs); err != nil {
				return res, fmt.Errorf("soak: enqueue: %w", err)
			}
			reqs = reqs[:0]
		}
	}
	say("enqueued %d jobs in %s", p.Jobs, time.Since(began).Round(time.Millisecond))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	lastSay := time.Now()
	for {
		mu.Lock()
		done := len(completed) + len(exhausted)
		moved := len(exhausted)
		mu.Unlock()
		if done >= p.Jobs {
			n, err := dead.Count(ctx, dlq.Filter{})
			if err == nil && n >= int64(moved) {
				left, err := storeLeft(ctx, c)
				if err == nil && left == 0 {
					break
				}
			}
		}
		if time.Since(lastSay) > 5*time.Second {
			say("%d of %d jobs done", done, p.Jobs)
			lastSay = time.Now()
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("soak: %d of %d jobs done: %w", done, p.Jobs, ctx.Err())
		case <-tick.C:
		}
	}
	res.Duration = time.Since(began)
	m, err := c.Metrics(ctx)
	if err != nil {
		return res, err
	}
	for _, tm := range m {
		res.StoreCompleted += tm.Completed
		res.StoreFailed += tm.Failed
	}
	res.StoreLeft, err = storeLeft(ctx, c)
	if err != nil {
		return res, err
	}
	stopped = true
	if err := c.Stop(ctx); err != nil {
		return res, fmt.Errorf("soak: stop: %w", err)
	}
	mu.Lock()
	res.Runs = runs
	res.Completed, res.Exhausted = len(completed), len(exhausted)
	for id, n := range completed {
		if n > 1 || exhausted[id] > 0 {
			res.Duplicated++
		}
	}
	ids := make([]string, 0, len(exhausted))
	for id, n := range exhausted {
		if n > 1 {
			res.Duplicated++
		}
		ids = append(ids, id)
	}
	mu.Unlock()
	if res.DeadLetterRows, err = dead.Count(ctx, dlq.Filter{}); err != nil {
		return res, err
	}
	for _, id := range ids {
		if _, err := dead.Get(ctx, id); err != nil {
			if !errors.Is(err, dlq.ErrNotFound) {
				return res, err
			}
			res.MissingRows++
		}
	}
	if p.Keys != nil {
		if res.KeysAfter, err = p.Keys(ctx); err != nil {
			return res, err
		}
	}
	res.HeapAfter = liveHeap()
	say("%s", res)
	return res, nil
}

// storeLeft is how many jobs are still waiting, active, delayed or failed (not yet moved)
// in the store, over every tier.
func storeLeft(ctx context.Context, c *slaq.Client) (int64, error) {
	m, err := c.Metrics(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, tm := range m {
		n += tm.Waiting + tm.Active + tm.Delayed
	}
	for _, t := range allTiers {
		p, err := c.List(ctx, slaq.ListRequest{Tier: t, State: store.StateFailed, Limit: 1})
		if err != nil {
			return 0, err
		}
		n += int64(len(p.Jobs))
	}
	return n, nil
}

// liveHeap returns the bytes of live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// LiveHeap returns the bytes of live heap after a full collection.
func LiveHeap() uint64 { return liveHeap() }
