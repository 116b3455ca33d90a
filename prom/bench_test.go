package prom_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/prom"
)

// BenchmarkW1Ratio runs W1 (50,000 jobs enqueued in bulk, then drained by 50 MEDIUM workers on
// Redis) with the event stream off, with a no-op observer, and with the exporter, alternating,
// and reports the rates and ratios from one run:
//
//	go test -run '^$' -bench W1Ratio -benchtime 1x ./prom
func BenchmarkW1Ratio(b *testing.B) {
	for b.Loop() {
		var off, noop, on float64
		for range 3 { // alternate, keep each side's best
			off = max(off, w1(b, 0))
			noop = max(noop, w1(b, 1))
			on = max(on, w1(b, 2))
		}
		b.ReportMetric(off, "off_jobs/s")
		b.ReportMetric(noop/off, "noop-observer/off")
		b.ReportMetric(on, "on_jobs/s")
		b.ReportMetric(on/off, "on/off")
	}
}

// w1 runs W1 with no observer (mode 0), a no-op observer (1: the event stream alone) or the
// exporter (2).
func w1(b *testing.B, mode int) float64 {
	const n = 50_000
	ctx := context.Background()
	var left atomic.Int64
	left.Store(n)
	finished := make(chan struct{})
	var last atomic.Int64
	mux := slaq.NewServeMux()
	mux.HandleFunc("bench", func(context.Context, *slaq.Job) error {
		if left.Add(-1) == 0 {
			last.Store(time.Now().UnixNano())
			close(finished)
		}
		return nil
	})
	cfg := slaq.Config{Handler: mux, Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Medium: {Workers: 50, MaxWorkers: 50}}}
	var exp *prom.Exporter
	switch mode {
	case 1:
		cfg.Observers = []slaq.Observer{slaq.ObserverFunc(func(slaq.Event) {})}
	case 2:
		exp = prom.New(prom.Options{})
		cfg.Observers = []slaq.Observer{exp}
	}
	c, err := slaq.New(testenv.RedisStore(b), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if exp != nil {
		exp.Watch(c)
	}
	reqs := make([]slaq.Request, n)
	for i := range reqs {
		reqs[i] = slaq.Request{Type: "bench", Payload: map[string]int{"i": i}, Options: []slaq.Option{slaq.WithTier(slaq.Medium)}}
	}
	for i := 0; i < n; i += 1000 {
		if _, err := c.EnqueueBulk(ctx, reqs[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	select {
	case <-finished:
	case <-time.After(2 * time.Minute):
		b.Fatalf("%d jobs left", left.Load())
	}
	_ = c.Stop(ctx)
	return float64(n) / time.Duration(last.Load()-start.UnixNano()).Seconds()
}
