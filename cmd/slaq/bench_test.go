package main

import (
	"testing"

	"github.com/slaqhq/slaq/internal/bench"
)

func TestBenchPlan(t *testing.T) {
	cases := []struct {
		f    benchFlags
		want int // workload variants; -1: an error
	}{
		{benchFlags{store: bench.StoreRedis, workload: "all", runs: 1}, 8},
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
