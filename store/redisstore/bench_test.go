package redisstore

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// W1 parameters (bench/WORKLOADS.md), at store level.
const (
	w1Jobs       = 50_000
	w1BulkChunk  = 1_000
	w1FetchLimit = 50
	w1Fetchers   = 4 // goroutines that fetch, "run" (no-op) and ack
)

// BenchmarkW1 bulk-enqueues 50,000 no-op jobs in batches of 1,000, then processes them with
// fetches of up to 50 and one batched Complete ack per fetch, through rueidis (the Store)
// and through go-redis running the same scripts. Run: go test -run x -bench W1 -benchtime 1x -count 3
func BenchmarkW1(b *testing.B) {
	b.Run("rueidis", func(b *testing.B) {
		for range b.N {
			s := openTest(b)
			runW1(b, s)
		}
	})
	b.Run("rueidis-no-autopipeline", func(b *testing.B) {
		for range b.N {
			s := openTest(b)
			p, err := New(context.Background(), Options{Addrs: []string{testAddr()}, Prefix: s.Prefix(), NoAutoPipelining: true})
			if err != nil {
				b.Fatal(err)
			}
			runW1(b, p)
			_ = p.Close()
		}
	})
	b.Run("goredis", func(b *testing.B) {
		for range b.N {
			s := openTest(b) // for the prefix and cleanup; the hot path goes through go-redis
			h := newGoRedisHot(testAddr(), s.Prefix())
			runW1(b, h)
			_ = h.c.Close()
		}
	})
}

func runW1(b *testing.B, h hotPath) {
	ctx, cancel := context.WithCancel(context.Background()) // cancellable, as the engine's are
	defer cancel()
	const tier = store.Medium
	now := time.Now().UnixMilli()
	jobs := make([]*store.Job, w1Jobs)
	for i := range jobs {
		jobs[i] = &store.Job{ID: store.NewID(tier, now), Type: "noop", Tier: tier,
			Payload: fmt.Appendf(nil, `{"q":"w1","i":%d}`, i), MaxAttempts: 1, TimeoutMs: 30_000,
			RunAt: now, CreatedAt: now}
	}
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < len(jobs); i += w1BulkChunk {
		if _, err := h.Enqueue(ctx, now, jobs[i:i+w1BulkChunk]); err != nil {
			b.Fatal(err)
		}
	}
	enq := time.Since(t0)

	var done atomic.Int64
	var wg sync.WaitGroup
	t1 := time.Now()
	for range w1Fetchers {
		wg.Go(func() {
			acks := make([]store.Ack, 0, w1FetchLimit)
			for done.Load() < w1Jobs {
				now := time.Now().UnixMilli()
				r, err := h.Fetch(ctx, store.FetchRequest{Tier: tier, Limit: w1FetchLimit, Now: now, LeaseMs: 30_000})
				if err != nil {
					b.Error(err)
					return
				}
				if len(r.Jobs) == 0 {
					continue
				}
				acks = acks[:0]
				for _, j := range r.Jobs {
					acks = append(acks, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: now})
				}
				if err := h.Ack(ctx, acks); err != nil {
					b.Error(err)
					return
				}
				done.Add(int64(len(r.Jobs)))
			}
		})
	}
	wg.Wait()
	proc := time.Since(t1)
	b.StopTimer()
	if done.Load() != w1Jobs {
		b.Fatalf("processed %d of %d", done.Load(), w1Jobs)
	}
	b.ReportMetric(float64(w1Jobs)/enq.Seconds(), "enqueue_jobs/s")
	b.ReportMetric(float64(w1Jobs)/proc.Seconds(), "process_jobs/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkW2 enqueues one job at a time, alternating with a raw PING on its own TCP
// connection, and reports the enqueue p50/p99 and the p50 above the PING p50 (the library's
// own cost). Run: go test -run x -bench W2 -benchtime 1x -count 3
func BenchmarkW2(b *testing.B) {
	b.Run("rueidis", func(b *testing.B) {
		for range b.N {
			runW2(b, openTest(b))
		}
	})
	b.Run("goredis", func(b *testing.B) {
		for range b.N {
			s := openTest(b)
			h := newGoRedisHot(testAddr(), s.Prefix())
			runW2(b, h)
			_ = h.c.Close()
		}
	})
}

func runW2(b *testing.B, h hotPath) {
	enq, png := w2Samples(b, []hotPath{h})
	b.ReportMetric(pct(enq[0], 0.50), "enqueue_p50_us")
	b.ReportMetric(pct(enq[0], 0.99), "enqueue_p99_us")
	b.ReportMetric(pct(png, 0.50), "ping_p50_us")
	b.ReportMetric(pct(enq[0], 0.50)-pct(png, 0.50), "over_ping_p50_us")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkW2Pair interleaves the two clients call by call (PING, then one enqueue through
// each, in alternating order), so that both see the same CPU contention: the fairest
// side-by-side on a shared machine. Run: go test -run x -bench W2Pair -benchtime 1x -count 3
func BenchmarkW2Pair(b *testing.B) {
	for range b.N {
		s := openTest(b)
		g := newGoRedisHot(testAddr(), s.Prefix())
		enq, png := w2Samples(b, []hotPath{s, g})
		_ = g.c.Close()
		b.ReportMetric(pct(enq[0], 0.50)-pct(png, 0.50), "rueidis_over_ping_p50_us")
		b.ReportMetric(pct(enq[1], 0.50)-pct(png, 0.50), "goredis_over_ping_p50_us")
		b.ReportMetric(pct(enq[0], 0.99), "rueidis_p99_us")
		b.ReportMetric(pct(enq[1], 0.99), "goredis_p99_us")
		b.ReportMetric(pct(png, 0.50), "ping_p50_us")
		b.ReportMetric(0, "ns/op")
	}
}

// w2Samples runs W2's 10,000 (+100 warm-up) rounds of a raw PING then one single-job enqueue
// through each of hs (order alternating by round), and returns the sorted durations.
func w2Samples(b *testing.B, hs []hotPath) (enq [][]time.Duration, png []time.Duration) {
	const n, warmup = 10_000, 100
	conn, err := net.Dial("tcp", testAddr())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	ping := func() time.Duration {
		t := time.Now()
		if _, err := conn.Write([]byte("PING\r\n")); err != nil {
			b.Fatal(err)
		}
		if line, err := rd.ReadString('\n'); err != nil || line != "+PONG\r\n" {
			b.Fatalf("PING: %q %v", line, err)
		}
		return time.Since(t)
	}
	ctx, cancel := context.WithCancel(context.Background()) // cancellable, as the engine's are
	defer cancel()
	enq = make([][]time.Duration, len(hs))
	b.ResetTimer()
	for i := range n + warmup {
		p := ping()
		for k := range hs {
			h := hs[(i+k)%len(hs)]
			now := time.Now().UnixMilli()
			j := &store.Job{ID: store.NewID(store.Critical, now), Type: "noop", Tier: store.Critical,
				Payload: []byte(`{"q":"w2","i":` + strconv.Itoa(i) + `}`), MaxAttempts: 5, TimeoutMs: 30_000, RunAt: now, CreatedAt: now}
			t := time.Now()
			if _, err := h.Enqueue(ctx, now, []*store.Job{j}); err != nil {
				b.Fatal(err)
			}
			if d := time.Since(t); i >= warmup {
				enq[(i+k)%len(hs)] = append(enq[(i+k)%len(hs)], d)
			}
		}
		if i >= warmup {
			png = append(png, p)
		}
	}
	b.StopTimer()
	for _, e := range enq {
		slices.Sort(e)
	}
	slices.Sort(png)
	return enq, png
}

// pct returns the nearest-rank p-quantile of sorted durations, in microseconds.
func pct(s []time.Duration, p float64) float64 {
	return float64(s[int(math.Ceil(float64(len(s))*p))-1].Nanoseconds()) / 1e3
}

// BenchmarkW5 reports Redis used_memory per waiting job (100,000 jobs with a 200-byte JSON
// payload) and per job left after all were processed with RetainMs 0. The shared server is
// used by other tests too, so the figure is indicative; run it on a quiet server.
// Run: go test -run x -bench W5 -benchtime 1x
func BenchmarkW5(b *testing.B) {
	for range b.N {
		s := openTest(b)
		ctx := context.Background()
		const n, tier = 100_000, store.Low
		payload := `{"q":"w5","i":0,"pad":"` + strings.Repeat("x", 200-len(`{"q":"w5","i":0,"pad":""}`)) + `"}`
		now := time.Now().UnixMilli()
		before := usedMemory(b, s)
		batch := make([]*store.Job, 0, 1000)
		for i := range n {
			batch = append(batch, &store.Job{ID: store.NewID(tier, now), Type: "w5", Tier: tier, Payload: []byte(payload),
				MaxAttempts: 1, TimeoutMs: 30_000, RunAt: now, CreatedAt: now})
			if len(batch) == cap(batch) || i == n-1 {
				if _, err := s.Enqueue(ctx, now, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		waiting := usedMemory(b, s)
		for {
			r, err := s.Fetch(ctx, store.FetchRequest{Tier: tier, Limit: 1000, Now: now, LeaseMs: 30_000})
			if err != nil {
				b.Fatal(err)
			}
			if len(r.Jobs) == 0 {
				break
			}
			acks := make([]store.Ack, len(r.Jobs))
			for i, j := range r.Jobs {
				acks[i] = store.Ack{Kind: store.AckComplete, ID: j.ID, Now: now}
			}
			if err := s.Ack(ctx, acks); err != nil {
				b.Fatal(err)
			}
		}
		after := usedMemory(b, s)
		b.ReportMetric(float64(waiting-before)/n, "bytes/waiting_job")
		b.ReportMetric(float64(after-before)/n, "bytes_left/job")
		b.ReportMetric(0, "ns/op")
	}
}

func usedMemory(b *testing.B, s *Store) int64 {
	info, err := s.client.Do(context.Background(), s.client.B().Info().Section("memory").Build()).ToString()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no used_memory in INFO memory")
	return 0
}
