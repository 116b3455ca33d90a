package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"net"
	"os"
	"testing"
	"time"

	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store/redisstore"
)

// tinyParams shrinks every workload so the whole suite runs in seconds: the test checks
// behaviour (every job runs exactly once, every metric is there and sane), not speed.
func tinyParams() Params {
	p := DefaultParams()
	p.W1.Jobs, p.W1.Producers, p.W1.BulkChunk, p.W1.Timeout = 500, 10, 100, 20*time.Second
	p.W2.Jobs, p.W2.Warmup = 200, 10
	p.W3.BacklogJobs, p.W3.BulkChunk, p.W3.Window, p.W3.Warmup, p.W3.DrainTimeout = 200, 100, time.Second, 100*time.Millisecond, 5*time.Second
	p.W4.Jobs, p.W4.Workers, p.W4.Sleep, p.W4.IdleBefore, p.W4.Timeout = 20, 5, 20*time.Millisecond, 200*time.Millisecond, 10*time.Second
	p.W5.Jobs, p.W5.BulkChunk, p.W5.Timeout = 1000, 250, 20*time.Second
	p.RL = shortRL()
	return p
}

// redisTarget returns a Redis target with a prefix of its own, or fails (CI=true) or skips
// loudly without a Redis.
func redisTarget(t *testing.T) Target {
	t.Helper()
	o, err := redisstore.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	addr := redisstore.DefaultAddr
	if len(o.Addrs) > 0 {
		addr = o.Addrs[0]
	}
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("bench tests need Redis at %s: %v", addr, err)
		}
		t.Skipf("\n*** SKIPPING: no Redis at %s (%v).\n*** Start one with: redis-server --save '' --appendonly no\n", addr, err)
	}
	_ = conn.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	o.Prefix = DefaultPrefix + "test-" + hex.EncodeToString(b[:])
	return Target{Store: StoreRedis, Redis: o}
}

func targets(t *testing.T) map[string]func(*testing.T) Target {
	return map[string]func(*testing.T) Target{
		StoreEmbedded: func(t *testing.T) Target { return Target{Store: StoreEmbedded, Dir: t.TempDir()} },
		StoreRedis:    redisTarget,
	}
}

// want checks that res has every named metric, each within [lo, hi].
type bound struct{ lo, hi float64 }

func check(t *testing.T, res *Result, want map[string]bound) {
	t.Helper()
	for name, b := range want {
		v, ok := res.Value(name)
		if !ok {
			t.Errorf("metric %s missing; have %v", name, res.Metrics)
			continue
		}
		if v < b.lo || v > b.hi {
			t.Errorf("metric %s = %v, want within [%v, %v]", name, v, b.lo, b.hi)
		}
	}
}

const inf = 1e18

func TestWorkloads(t *testing.T) {
	p := tinyParams()
	for store, target := range targets(t) {
		t.Run(store, func(t *testing.T) {
			tg := target(t)
			for _, w := range Workloads {
				if w.Name == RL {
					continue // TestRLWorkload runs it and checks the limit
				}
				for _, v := range w.Variants {
					t.Run(w.Name+"-"+v, func(t *testing.T) {
						ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
						defer cancel()
						tg := tg
						if w.Name == W5 && store == StoreRedis {
							// W5 reads the whole server's used_memory: on the shared Redis,
							// other packages' tests change it meanwhile.
							tg.Redis.Addrs = []string{testenv.StartRedis(t)}
						}
						res, err := Run(ctx, tg, p, w.Name, v)
						if err != nil {
							t.Fatal(err)
						}
						if res.Workload != w.Name || res.Variant != v || res.Store != store {
							t.Errorf("result is for %s %s %s", res.Store, res.Workload, res.Variant)
						}
						checkWorkload(t, p, res, store)
					})
				}
			}
		})
	}
}

func checkWorkload(t *testing.T, p Params, res *Result, store string) {
	cpu := map[string]bound{"client_cpu_s": {0, inf}}
	if store == StoreRedis {
		cpu["redis_cpu_s"] = bound{0, inf}
	}
	check(t, res, cpu)
	switch res.Workload {
	case W1:
		n := float64(p.W1.Jobs)
		check(t, res, map[string]bound{
			"processed": {n, n}, "duplicates": {0, 0}, "enqueue_jobs_per_s": {1, inf}, "process_jobs_per_s": {1, inf},
			"enqueue_s": {0, inf}, "process_s": {0, inf}, "workers_start_to_first_ms": {0, inf},
		})
		if res.Variant == VariantBulkIdleLimit {
			check(t, res, map[string]bound{"limits_armed": {1, 1}})
		}
	case W2:
		check(t, res, map[string]bound{"enqueue_us_p50": {0.1, inf}, "enqueue_us_p99": {0.1, inf}, "enqueue_us_max": {0.1, inf},
			"enqueue_us_mean": {0.1, inf}, "enqueue_jobs_per_s": {1, inf}})
		if store == StoreRedis {
			check(t, res, map[string]bound{"ping_rtt_us_p50": {0.1, inf}, "enqueue_over_rtt_us_p50": {-inf, inf}})
		} else if len(res.NA) == 0 {
			t.Errorf("embedded W2 reports PING figures: %v", res.Metrics)
		}
	case W3:
		n := p.W3.CriticalRate * int(p.W3.Window/time.Second)
		check(t, res, map[string]bound{
			"critical_picked": {float64(n), float64(n)}, "critical_missing": {0, 0}, "critical_duplicates": {0, 0},
			// Latencies are reported, not judged: a test asserts behaviour, and a loaded 2-core
			// machine under -race can stretch any of them.
			"critical_pickup_ms_p50": {0, inf}, "critical_pickup_ms_p99": {0, inf}, "critical_e2e_ms_p50": {2, inf},
			"critical_enqueue_us_p50": {0.1, inf}, "critical_rate_achieved": {0.5 * float64(p.W3.CriticalRate), 1.05 * float64(p.W3.CriticalRate)},
			"low_done_in_window": {0, float64(p.W3.BacklogJobs)}, "batch_done_in_window": {0, float64(p.W3.BacklogJobs)},
			"low_done_before_window": {0, inf}, "batch_done_before_window": {0, inf}, "prefill_s": {0, inf},
		})
		// Every backlog tier runs jobs. (With elastic lending the small test backlog may drain
		// before the window opens, so count both spans together.)
		for _, tier := range []string{"low", "batch"} {
			before, _ := res.Value(tier + "_done_before_window")
			in, _ := res.Value(tier + "_done_in_window")
			if before+in < 1 {
				t.Errorf("%s %s: no %s job done", store, res.Variant, tier)
			}
		}
	case W4:
		n := float64(p.W4.Jobs)
		ideal := float64(p.W4.Sleep/time.Millisecond) * float64((p.W4.Jobs+p.W4.Workers-1)/p.W4.Workers)
		check(t, res, map[string]bound{
			"processed": {n, n}, "duplicates": {0, 0}, "ideal_completed_ms": {ideal, ideal},
			"all_completed_ms": {ideal, inf}, "first_pickup_ms": {0, inf}, "all_enqueued_ms": {0, inf}, "pickup_ms_p99": {0, inf},
		})
	case W5:
		n := float64(p.W5.Jobs)
		check(t, res, map[string]bound{
			"processed": {n, n}, "duplicates": {0, 0}, "payload_bytes": {float64(p.W5.PayloadBytes), float64(p.W5.PayloadBytes)},
			"bytes_per_waiting_job": {float64(p.W5.PayloadBytes), inf}, "bytes_left_per_job": {-inf, inf},
		})
	}
}

func TestPercentileNearestRank(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{{50, 5}, {99, 10}, {100, 10}, {10, 1}, {11, 2}} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestPaddedPayload(t *testing.T) {
	b, err := paddedPayload("w5", 99999, W5PayloadBytesDefault)
	if err != nil || len(b) != W5PayloadBytesDefault {
		t.Fatalf("payload %q (%d bytes), err %v", b, len(b), err)
	}
}

func TestFormat(t *testing.T) {
	for v, want := range map[float64]string{math.Copysign(0, -1): "0", 1234567: "1,234,567", -2500: "-2,500", 12.34: "12.3", 0.4567: "0.457", 3.14159: "3.14"} {
		if got := format(v); got != want {
			t.Errorf("format(%v) = %q, want %q", v, got, want)
		}
	}
}
