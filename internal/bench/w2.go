package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slaqhq/slaq"
)

// w2Queue is W2's queue name.
const w2Queue = "w2"

// scriptStats are Redis's totals for EVALSHA (INFO commandstats): calls and microseconds.
type scriptStats struct{ calls, usec int64 }

// scriptStats reads the server's EVALSHA totals. They count every client's scripts: W2
// reports their delta per enqueue as redis_us_per_enqueue, the server's share of the
// enqueue's cost (polluted by other clients running scripts at the same time).
func (e *runEnv) scriptStats() (scriptStats, error) {
	info, err := e.admin.info("commandstats")
	if err != nil {
		return scriptStats{}, err
	}
	var st scriptStats
	for _, f := range strings.Split(info["cmdstat_evalsha"], ",") {
		k, v, _ := strings.Cut(f, "=")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "calls":
			st.calls = n
		case "usec":
			st.usec = n
		}
	}
	return st, nil
}

// runW2 is W2, enqueue latency: sequential single enqueues, each after a raw PING on a bare
// TCP connection that gives the round-trip floor. On Redis it also reports the server's
// time per enqueue script (redis_us_per_enqueue, an addition to WORKLOADS' metrics). The embedded store has no round trip: its
// PING figures are n/a.
func runW2(ctx context.Context, e *runEnv, p Params, _ string) error {
	w := p.W2
	if w.Jobs <= 0 || w.Warmup < 0 {
		return fmt.Errorf("W2 needs a positive job count: %+v", w)
	}
	c, err := e.client(slaq.Config{})
	if err != nil {
		return err
	}
	var raw *respConn
	if e.target.Store == StoreRedis {
		if raw, err = dialRedis(ctx, e.target.Redis); err != nil {
			return err
		}
		defer raw.close()
	}
	tier := slaq.WithTier(slaq.Medium)
	enq := make([]float64, 0, w.Jobs)
	ping := make([]float64, 0, w.Jobs)
	var enqSum int64

	cpu0, err := e.mark()
	if err != nil {
		return err
	}
	var buf []byte
	var script0 scriptStats
	for i := range w.Warmup + w.Jobs {
		measured := i >= w.Warmup
		if i == w.Warmup && raw != nil {
			if script0, err = e.scriptStats(); err != nil {
				return err
			}
		}
		if raw != nil {
			t := clock()
			if err := raw.ping(); err != nil {
				return err
			}
			if d := clock() - t; measured {
				ping = append(ping, us(d))
			}
		}
		buf = payload{Q: w2Queue, I: i - w.Warmup}.encode(buf[:0])
		t := clock()
		if _, err := c.Enqueue(ctx, benchJobType, buf, tier); err != nil {
			return fmt.Errorf("enqueue %d: %w", i, err)
		}
		if d := clock() - t; measured {
			enq = append(enq, us(d))
			enqSum += d
		}
	}
	var script1 scriptStats
	if raw != nil {
		if script1, err = e.scriptStats(); err != nil {
			return err
		}
	}
	cpu1, err := e.mark()
	if err != nil {
		return err
	}

	r := e.res
	r.distribution("enqueue_us", enq)
	pingNames := []string{"ping_rtt_us_p50", "ping_rtt_us_p99", "ping_rtt_us_max", "ping_rtt_us_mean", "enqueue_over_rtt_us_p50"}
	if raw != nil {
		r.distribution("ping_rtt_us", ping)
		e50, _ := r.Value("enqueue_us_p50")
		p50, _ := r.Value("ping_rtt_us_p50")
		r.add("enqueue_over_rtt_us_p50", e50-p50)
		if calls := script1.calls - script0.calls; calls > 0 {
			r.add("redis_us_per_enqueue", round3(float64(script1.usec-script0.usec)/float64(calls)))
		}
	} else {
		r.NA = append(r.NA, pingNames...)
		r.NA = append(r.NA, "redis_us_per_enqueue")
	}
	r.add("enqueue_jobs_per_s", rate(w.Jobs, time.Duration(enqSum)))
	e.cpu(cpu0, cpu1)
	return nil
}
