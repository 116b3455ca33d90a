package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// Pickup-stage parameters: W3's CRITICAL load (bench/WORKLOADS.md), one job every 5 ms, with
// nothing else running, so that each stage is seen on its own.
const (
	pickupJobs     = 2_000
	pickupInterval = 5 * time.Millisecond
)

// BenchmarkPickupStages splits a pickup into the steps the engine takes for a job enqueued
// while its tier's fetcher is idle, with the Store the engine uses:
//
//   - enqueue: the Enqueue call, from call to reply (the producer's view);
//   - wake: from the Enqueue call to the return of the fetcher's blocked Wait (BZPOPMIN on
//     the tier's marker, on a dedicated connection);
//   - fetch: the Fetch that claims the job, after the wake;
//   - handoff: the claimed job sent on a channel to a waiting runner goroutine, as the
//     engine's fetcher hands jobs to its runners;
//   - ping: a bare PING on the same client, for scale (fetch − ping is the script's cost);
//   - pickup: from the Enqueue call to the runner holding the job (wake + fetch + handoff).
//
// Each is reported as p50 and p99 in µs. W3's CRITICAL pickup (slaq bench --workload w3)
// adds the engine's slot bookkeeping and the handler's start on top of pickup.
// Run: go test -run '^$' -bench PickupStages -benchtime 1x ./store/redisstore
func BenchmarkPickupStages(b *testing.B) {
	for range b.N {
		runPickupStages(b, openTest(b))
	}
}

func runPickupStages(b *testing.B, s *Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const tier = store.Critical
	runq := make(chan time.Time) // the runner receives the fetch's end; it replies with its start
	ran := make(chan time.Time)
	go func() {
		for range runq {
			ran <- time.Now()
		}
	}()
	defer close(runq)

	type sample struct{ call, replied, woke, fetched, running, pinged, ponged time.Time }
	samples := make([]sample, 0, pickupJobs)
	woke := make(chan time.Time, 1)
	armed := make(chan struct{})
	go func() { // the idle fetcher: block, then say when it woke
		for ctx.Err() == nil {
			armed <- struct{}{}
			if err := s.Wait(ctx, tier, time.Second); err != nil {
				return
			}
			woke <- time.Now()
		}
	}()
	b.ResetTimer()
	for i := range pickupJobs {
		<-armed
		// Let the BZPOPMIN reach the server before enqueueing, as with an idle tier.
		waitFetcherBlocked(b, s)
		now := time.Now()
		j := &store.Job{ID: store.NewID(tier, now.UnixMilli()), Type: "pickup", Tier: tier,
			Payload: fmt.Appendf(nil, `{"i":%d}`, i), MaxAttempts: 1, TimeoutMs: 30_000,
			RunAt: now.UnixMilli(), CreatedAt: now.UnixMilli()}
		sm := sample{call: time.Now()}
		if _, err := s.Enqueue(ctx, now.UnixMilli(), []*store.Job{j}); err != nil {
			b.Fatal(err)
		}
		sm.replied = time.Now()
		sm.woke = <-woke
		r, err := s.Fetch(ctx, store.FetchRequest{Tier: tier, Limit: 1, Now: time.Now().UnixMilli(), LeaseMs: 30_000})
		if err != nil || len(r.Jobs) != 1 {
			b.Fatalf("fetch: %d jobs, %v", len(r.Jobs), err)
		}
		sm.fetched = time.Now()
		runq <- sm.fetched
		sm.running = <-ran
		if err := s.Ack(ctx, []store.Ack{{Kind: store.AckComplete, ID: j.ID, Now: time.Now().UnixMilli()}}); err != nil {
			b.Fatal(err)
		}
		sm.pinged = time.Now() // a bare round trip, for scale: fetch − ping is the script's cost
		if err := s.client.Do(ctx, s.client.B().Ping().Build()).Error(); err != nil {
			b.Fatal(err)
		}
		sm.ponged = time.Now()
		samples = append(samples, sm)
		time.Sleep(pickupInterval) // pacing, as W3's producer: nothing waits on a result here
	}
	b.StopTimer()
	report := func(name string, d func(sample) time.Duration) {
		v := make([]float64, len(samples))
		for i, sm := range samples {
			v[i] = float64(d(sm).Nanoseconds()) / 1e3
		}
		slices.Sort(v)
		b.ReportMetric(v[len(v)/2], name+"_us_p50")
		b.ReportMetric(v[len(v)*99/100], name+"_us_p99")
	}
	report("enqueue", func(s sample) time.Duration { return s.replied.Sub(s.call) })
	report("wake", func(s sample) time.Duration { return s.woke.Sub(s.call) })
	report("fetch", func(s sample) time.Duration { return s.fetched.Sub(s.woke) })
	report("handoff", func(s sample) time.Duration { return s.running.Sub(s.fetched) })
	report("ping", func(s sample) time.Duration { return s.ponged.Sub(s.pinged) })
	report("pickup", func(s sample) time.Duration { return s.running.Sub(s.call) })
	b.ReportMetric(0, "ns/op")
}

// waitFetcherBlocked returns once the server has a client blocked (the fetcher's BZPOPMIN).
func waitFetcherBlocked(b *testing.B, s *Store) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		info, err := s.client.Do(context.Background(), s.client.B().Info().Section("clients").Build()).ToString()
		if err != nil {
			b.Fatal(err)
		}
		if !containsBlocked0(info) {
			return
		}
	}
	b.Fatal("the fetcher never blocked")
}

// containsBlocked0 reports whether INFO clients says no client is blocked.
func containsBlocked0(info string) bool { return strings.Contains(info, "blocked_clients:0\r") }
