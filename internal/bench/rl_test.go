package bench

import (
	"context"
	"slices"
	"testing"
	"time"
)

// shortRL is RL bounded to a few seconds: a limit of 50 per second with a burst of 2, a
// 1-second window. The test checks behaviour, not speed.
func shortRL() RLParams {
	p := DefaultParams().RL
	p.LimitRate, p.LimitPer, p.LimitBurst = 50, time.Second, 2
	p.UnlimitedRate = 100
	p.Warmup, p.Measure, p.DrainTimeout = 300*time.Millisecond, time.Second, 10*time.Second
	p.BulkChunk = 50
	return p
}

// RL on both stores: with the limited backlog, no period ever sees more starts of the limited
// type than Rate + Burst (by the runs' StartedAt), every job of both types runs exactly once,
// and the backlog outlasts the window; without, only the unlimited stream runs; same-rate
// runs every job of its second, unlimited stream too.
func TestRLWorkload(t *testing.T) {
	p := DefaultParams()
	p.RL = shortRL()
	n := float64(int(float64(p.RL.UnlimitedRate) * p.RL.Measure.Seconds()))
	backlog := float64(p.RL.Backlog())
	allowed := float64(p.RL.LimitRate + p.RL.LimitBurst)
	for store, target := range targets(t) {
		t.Run(store, func(t *testing.T) {
			tg := target(t)
			for _, v := range []string{VariantWith, VariantWithout, VariantSameRate} {
				t.Run(v, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					res, err := Run(ctx, tg, p, RL, v)
					if err != nil {
						t.Fatal(err)
					}
					check(t, res, map[string]bound{
						"unlimited_picked": {n, n}, "unlimited_missing": {0, 0}, "unlimited_duplicates": {0, 0},
						"unlimited_pickup_ms_p50": {0, inf}, "unlimited_pickup_ms_p99": {0, inf}, "unlimited_enqueue_us_p50": {0.1, inf},
						"client_cpu_s": {0, inf},
					})
					if v != VariantWith {
						for _, m := range rlLimitedMetrics {
							if !slices.Contains(res.NA, m) {
								t.Errorf("variant %s reports %s", v, m)
							}
						}
					}
					if v == VariantSameRate {
						o := float64(int(p.RL.Measure / (p.RL.LimitPer / time.Duration(p.RL.LimitRate))))
						check(t, res, map[string]bound{"other_picked": {o, o}, "other_missing": {0, 0}, "other_pickup_ms_p99": {0, inf}})
					}
					if v != VariantWith {
						return
					}
					check(t, res, map[string]bound{
						"limited_backlog": {backlog, backlog}, "limited_done": {backlog, backlog}, "limited_duplicates": {0, 0},
						"limited_allowed_per_period": {allowed, allowed},
						// The limit holds, on the clock the store decides with.
						"limited_max_per_period": {1, allowed},
						"limited_after_window":   {1, inf},
						"limited_fetches_held":   {1, inf},
						// Reported, not judged beyond a sanity bound: the handlers' clock may see a
						// start or two more per window than the store's.
						"limited_starts_per_s": {0, float64(p.RL.LimitRate)/p.RL.LimitPer.Seconds() + float64(p.RL.LimitBurst+2)/p.RL.Measure.Seconds()},
					})
					t.Logf("metrics %v, flags %v", res.Metrics, res.Flags)
				})
			}
		})
	}
}

func TestMaxInWindow(t *testing.T) {
	for _, c := range []struct {
		ts    []int64
		width int64
		want  int
	}{
		{nil, 10, 0},
		{[]int64{5}, 10, 1},
		{[]int64{0, 9, 10, 19, 20}, 10, 2},
		{[]int64{30, 0, 1, 2, 25, 3}, 10, 4},
		{[]int64{0, 0, 0}, 1, 3},
	} {
		if got := maxInWindow(c.ts, c.width); got != c.want {
			t.Errorf("maxInWindow(%v, %d) = %d, want %d", c.ts, c.width, got, c.want)
		}
	}
}

// Poisson arrivals: never earlier than the one before, the stream's mean rate, the same
// schedule for the same seed and another for another.
func TestPoissonAt(t *testing.T) {
	const n, gap = 20_000, 5 * time.Millisecond
	at := poissonAt(n, gap, 1)
	for i := 1; i < n; i++ {
		if at(i) < at(i-1) {
			t.Fatalf("arrival %d at %v, before %d at %v", i, at(i), i-1, at(i-1))
		}
	}
	if mean := at(n-1) / (n - 1); mean < gap*95/100 || mean > gap*105/100 {
		t.Errorf("mean gap %v, want %v ± 5 %%", mean, gap)
	}
	if again := poissonAt(n, gap, 1); again(n-1) != at(n-1) {
		t.Errorf("seed 1 gave %v, then %v", at(n-1), again(n-1))
	}
	if other := poissonAt(n, gap, 2); other(n-1) == at(n-1) {
		t.Errorf("seeds 1 and 2 gave the same schedule")
	}
}
