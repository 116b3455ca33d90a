package main

import (
	"slices"
	"testing"
	"time"

	"github.com/slaqhq/slaq/internal/bench"
)

func TestBenchPlan(t *testing.T) {
	cases := []struct {
		f    benchFlags
		want int // workload variants; -1: an error
	}{
		{benchFlags{store: bench.StoreRedis, workload: "all", runs: 1}, 9}, // rl only when named
		{benchFlags{store: bench.StoreRedis, workload: "rl", runs: 3}, 3},
		{benchFlags{store: bench.StoreRedis, workload: "w1", variant: "bulk,single", runs: 1}, 2},
		{benchFlags{store: bench.StoreRedis, workload: "w1", variant: "bulk", runs: 1, compare: []string{"/old", "/older"}}, 3},
		{benchFlags{store: bench.StoreRedis, workload: "w1", variant: "bulk,nope", runs: 1}, -1},
		{benchFlags{store: bench.StoreRedis, workload: "rl", runs: 1, duration: -time.Second}, -1},
		{benchFlags{store: bench.StoreRedis, workload: "rl", runs: 1, arrivals: "bursty"}, -1},
		{benchFlags{store: bench.StoreRedis, workload: "rl", runs: 1, arrivals: bench.RLArrivalsPeriodic}, 3},
		{benchFlags{store: bench.StoreEmbedded, workload: "W3", runs: 3}, 3},
		{benchFlags{store: bench.StoreEmbedded, workload: "w3", variant: bench.VariantElastic, runs: 1}, 1},
		{benchFlags{store: bench.StoreEmbedded, workload: "all", variant: bench.VariantBulk, runs: 1}, 1},
		{benchFlags{store: "postgres", workload: "all", runs: 1}, -1},
		{benchFlags{store: bench.StoreRedis, workload: "w9", runs: 1}, -1},
		{benchFlags{store: bench.StoreRedis, workload: "w2", variant: "bulk", runs: 1}, -1},
		{benchFlags{store: bench.StoreRedis, workload: "w2", runs: 0}, -1},
	}
	for _, c := range cases {
		plan, err := benchPlan(c.f)
		switch {
		case c.want < 0 && err == nil:
			t.Errorf("%+v: want an error, got plan %v", c.f, plan)
		case c.want >= 0 && (err != nil || len(plan) != c.want):
			t.Errorf("%+v: got %d items (%v), err %v; want %d", c.f, len(plan), plan, err, c.want)
		}
	}
}

func TestBenchRound(t *testing.T) {
	for _, c := range []struct {
		n, run int
		want   []int
	}{{2, 1, []int{0, 1}}, {2, 2, []int{1, 0}}, {3, 2, []int{1, 2, 0}}, {3, 4, []int{0, 1, 2}}, {1, 5, []int{0}}} {
		if got := benchRound(c.n, c.run); !slices.Equal(got, c.want) {
			t.Errorf("benchRound(%d, %d) = %v, want %v", c.n, c.run, got, c.want)
		}
	}
}

// The comparisons: each workload's pair of variants per build, then this build over each
// other build, variant by variant.
func TestBenchComparisons(t *testing.T) {
	res := func(w, v string, vals ...float64) []*bench.Result {
		var out []*bench.Result
		for _, x := range vals {
			out = append(out, &bench.Result{Store: "redis", Workload: w, Variant: v, Metrics: []bench.Metric{
				{Name: "unlimited_pickup_ms_p50", Value: x}, {Name: "unlimited_pickup_ms_p99", Value: 2 * x}}})
		}
		return out
	}
	plan := []benchItem{{bench.RL, bench.VariantWith, ""}, {bench.RL, bench.VariantWith, "/old"}, {bench.RL, bench.VariantWith, "/older"},
		{bench.RL, bench.VariantWithout, ""}, {bench.RL, bench.VariantWithout, "/old"}, {bench.RL, bench.VariantWithout, "/older"}}
	runs := [][]*bench.Result{res(bench.RL, bench.VariantWith, 1, 2, 4), res(bench.RL, bench.VariantWith, 2, 4, 8), res(bench.RL, bench.VariantWith, 4, 8, 16),
		res(bench.RL, bench.VariantWithout, 1, 1, 1), res(bench.RL, bench.VariantWithout, 1, 1, 1), res(bench.RL, bench.VariantWithout, 1, 1, 1)}
	cs := benchComparisons(plan, runs, true)
	// with/without for 3 builds; per variant: this/old, this/older, older/old.
	if len(cs) != 3+2*3 {
		t.Fatalf("%d comparisons, want 9", len(cs))
	}
	if c := cs[5]; c.Of != "/older with" || c.To != "/old with" || c.Ratios[0].OfMedians != 2 {
		t.Errorf("older/old comparison %+v, want /older over /old, 2", c)
	}
	first := cs[0]
	if first.Of != benchThisBuild+" with" || first.To != benchThisBuild+" without" || len(first.Ratios) != 2 {
		t.Fatalf("first comparison %+v", first)
	}
	r := first.Ratios[1]
	if r.Metric != "unlimited_pickup_ms_p99" || r.OfMedians != 2 || r.Pairs == nil || r.Pairs.Min != 1 || r.Pairs.Max != 4 {
		t.Errorf("with/without p99 ratio %+v (pairs %+v), want 2 of medians, pairs 1–4", r, r.Pairs)
	}
	old := cs[3]
	if old.Of != benchThisBuild+" with" || old.To != "/old with" || old.Ratios[0].OfMedians != 0.5 {
		t.Errorf("this/old comparison %+v, want this over /old, 0.5", old)
	}
}
