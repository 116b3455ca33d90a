package sqlitestore_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// The batch sizes the engine uses.
const (
	benchEnqueueBatch = 1_000
	benchFetchBatch   = 50
	benchAckBatch     = 50
)

// benchJobs returns n runnable jobs of tier with a small JSON payload.
func benchJobs(n int, tier store.Tier, now int64) []*store.Job {
	jobs := make([]*store.Job, n)
	for i := range jobs {
		jobs[i] = &store.Job{
			ID: store.NewID(tier, now), Type: "noop", Tier: tier, Payload: []byte(`{"user_id":12345,"template":"reset"}`),
			MaxAttempts: 3, TimeoutMs: 30_000, BackoffMs: 2_000, RunAt: now, CreatedAt: now,
		}
	}
	return jobs
}

// BenchmarkEnqueueBulk measures enqueueing in batches of benchEnqueueBatch, one job per op.
func BenchmarkEnqueueBulk(b *testing.B) {
	s, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlitestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	start := time.Now()
	for done := 0; done < b.N; done += benchEnqueueBatch {
		jobs := benchJobs(min(benchEnqueueBatch, b.N-done), store.Medium, base)
		if _, err := s.Enqueue(b.Context(), base, jobs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "jobs/s")
}

// BenchmarkCycle runs the full cycle of b.N jobs: bulk enqueue, fetch in batches, complete
// (RetainMs 0, so each job is deleted) in batches. One op is one job.
func BenchmarkCycle(b *testing.B) {
	s, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlitestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := b.Context()
	b.ResetTimer()
	start := time.Now()
	for done := 0; done < b.N; done += benchEnqueueBatch {
		if _, err := s.Enqueue(ctx, base, benchJobs(min(benchEnqueueBatch, b.N-done), store.High, base)); err != nil {
			b.Fatal(err)
		}
	}
	acks := make([]store.Ack, 0, benchAckBatch)
	for completed := 0; completed < b.N; {
		r, err := s.Fetch(ctx, store.FetchRequest{Tier: store.High, Limit: benchFetchBatch, Now: base, LeaseMs: 30_000})
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Jobs) == 0 {
			b.Fatalf("nothing to fetch after %d of %d jobs", completed, b.N)
		}
		for _, j := range r.Jobs {
			acks = append(acks, store.Ack{Kind: store.AckComplete, ID: j.ID, Now: base + 1})
			if len(acks) == benchAckBatch {
				if err := s.Ack(ctx, acks); err != nil {
					b.Fatal(err)
				}
				completed += len(acks)
				acks = acks[:0]
			}
		}
		if len(acks) > 0 && completed+len(acks) == b.N {
			if err := s.Ack(ctx, acks); err != nil {
				b.Fatal(err)
			}
			completed += len(acks)
			acks = acks[:0]
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "jobs/s")
	c, err := s.Counts(ctx)
	if err != nil || c[store.High.Index()] != (store.Counts{Completed: int64(b.N)}) {
		b.Fatalf("counts after the cycle %+v, %v; want %d completed and nothing else", c[store.High.Index()], err, b.N)
	}
}

// BenchmarkCriticalFetchUnderBulkLoad measures how long a CRITICAL fetch takes while another
// goroutine saturates the writer: it bulk-enqueues into BATCH (1,000 or 100 jobs per call)
// and drains it in batches. One op is one CRITICAL job; it reports the p50 and p99 of the
// fetch call in µs. A fetch waits for the write transaction in progress, so the p99 follows
// the size of the largest batch.
func BenchmarkCriticalFetchUnderBulkLoad(b *testing.B) {
	for _, batch := range []int{benchEnqueueBatch, benchEnqueueBatch / 10} {
		b.Run(fmt.Sprintf("enqueue=%d", batch), func(b *testing.B) { benchCriticalUnderLoad(b, batch) })
	}
}

// benchCriticalUnderLoad is BenchmarkCriticalFetchUnderBulkLoad with load batches of batch jobs.
func benchCriticalUnderLoad(b *testing.B, batch int) {
	s, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlitestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := b.Context()
	stop := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Enqueue(ctx, base, benchJobs(batch, store.Batch, base)); err != nil {
				return
			}
			for range batch / benchFetchBatch {
				r, err := s.Fetch(ctx, store.FetchRequest{Tier: store.Batch, Limit: benchFetchBatch, Now: base, LeaseMs: 30_000})
				if err != nil || len(r.Jobs) == 0 {
					break
				}
				acks := make([]store.Ack, len(r.Jobs))
				for i, j := range r.Jobs {
					acks[i] = store.Ack{Kind: store.AckComplete, ID: j.ID, Now: base}
				}
				if err := s.Ack(ctx, acks); err != nil {
					return
				}
			}
		}
	}()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		if _, err := s.Enqueue(ctx, base, benchJobs(1, store.Critical, base)); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		r, err := s.Fetch(ctx, store.FetchRequest{Tier: store.Critical, Limit: 1, Now: base, LeaseMs: 30_000})
		lat = append(lat, time.Since(start))
		if err != nil || len(r.Jobs) != 1 {
			b.Fatalf("Fetch = %d jobs, %v; want 1", len(r.Jobs), err)
		}
	}
	b.StopTimer()
	close(stop)
	<-loadDone
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
