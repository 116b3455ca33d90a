package slaq_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"
)

// Worker processes share one rate limit: starts of the limited type in any window never
// exceed Rate + Burst, every job finishes, and the other type of the same tier, enqueued
// behind the limited backlog, is picked up at once.
func TestRateLimitAcrossProcesses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		procs int
		open  func(t *testing.T) (store.Store, string)
	}{
		{"redis_3_procs", 3, openSharedRedis},
		{"embedded_2_procs", 2, openSharedEmbedded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, spec := tc.open(t)
			const (
				rate, burst, nLimited, nFast = 10, 2, 34, 60
				period                       = time.Second
			)
			c := newClient(t, st, slaq.Config{}) // enqueues only: it sets the limit for all
			if err := c.SetRateLimit(context.Background(), "limited", slaq.RateLimit{Rate: rate, Per: period, Burst: burst, Tier: slaq.Medium}); err != nil {
				t.Fatal(err)
			}
			var reqs []slaq.Request
			for i := range nLimited {
				reqs = append(reqs, slaq.Request{Type: "limited", Payload: map[string]int{"i": i}, Options: []slaq.Option{slaq.WithTier(slaq.Medium)}})
			}
			if _, err := c.EnqueueBulk(context.Background(), reqs); err != nil {
				t.Fatal(err)
			}
			var children []*child
			for range tc.procs {
				children = append(children, startChild(t, spec))
			}
			reqs = reqs[:0]
			for i := range nFast {
				reqs = append(reqs, slaq.Request{Type: "fast", Payload: map[string]int{"i": i}, Options: []slaq.Option{slaq.WithTier(slaq.Medium)}})
			}
			if _, err := c.EnqueueBulk(context.Background(), reqs); err != nil {
				t.Fatal(err)
			}
			type start struct {
				typ, id  string
				at, pick int64
			}
			all := make(chan start, nLimited+nFast)
			for _, ch := range children {
				go func() {
					for l := range ch.lines {
						var s start
						if _, err := fmt.Sscanf(l, "%s %s %d %d", &s.typ, &s.id, &s.at, &s.pick); err == nil && (s.typ == "limited" || s.typ == "fast") {
							all <- s
						}
					}
				}()
			}
			seen := map[string]bool{}
			var limitedAt, fastPick []int64
			deadline := time.After(30 * time.Second)
			for len(seen) < nLimited+nFast {
				select {
				case s := <-all:
					if seen[s.id] {
						t.Fatalf("job %s ran twice", s.id)
					}
					seen[s.id] = true
					if s.typ == "limited" {
						limitedAt = append(limitedAt, s.at)
					} else {
						fastPick = append(fastPick, s.pick)
					}
				case <-deadline:
					t.Fatalf("only %d of %d jobs ran in 30 s", len(seen), nLimited+nFast)
				}
			}
			slices.Sort(limitedAt)
			for i := range limitedAt {
				j := i
				for j < len(limitedAt) && limitedAt[j] < limitedAt[i]+period.Milliseconds() {
					j++
				}
				if j-i > rate+burst {
					t.Fatalf("%d starts of the limited type in one %v window, want at most %d", j-i, period, rate+burst)
				}
			}
			span := time.Duration(limitedAt[len(limitedAt)-1]-limitedAt[0]) * time.Millisecond
			if min := time.Duration(nLimited-rate-burst-1) * period / rate; span < min {
				t.Fatalf("limited jobs ran over %v, want at least %v at %d/%v", span, min, rate, period)
			}
			slices.Sort(fastPick)
			if worst := time.Duration(fastPick[len(fastPick)-1]) * time.Millisecond; worst > time.Second {
				t.Fatalf("the unlimited type waited up to %v behind the limited backlog, want under 1s (limited span %v)", worst, span)
			}
			t.Logf("%s: limited span %v, fast pickup p50 %d ms max %d ms", strings.ReplaceAll(tc.name, "_", " "), span,
				fastPick[len(fastPick)/2], fastPick[len(fastPick)-1])
		})
	}
}
