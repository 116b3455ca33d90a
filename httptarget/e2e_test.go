package httptarget_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/httptarget"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store"
)

// events forwards every event of kind.
type events struct {
	kind slaq.EventKind
	ch   chan slaq.Event
}

func (e events) Observe(ev slaq.Event) {
	if ev.Kind == e.kind {
		e.ch <- ev
	}
}

// TestThroughClient: jobs of an HTTP-target type run through a real client on the embedded
// store; a 503 then a 200 answer is a retry then a success, and a 400 dead-letters the job
// with the receiver's text as its error.
func TestThroughClient(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int32
	srv := receiver(t, secret, func(w http.ResponseWriter, d *httptarget.Delivery) {
		switch {
		case string(d.Payload) == `"bad"`:
			http.Error(w, "no such customer", http.StatusBadRequest)
		case calls.Add(1) == 1:
			http.Error(w, "warming up", http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux := slaq.NewServeMux()
	if err := httptarget.Register(mux, "hook", httptarget.Target{URL: srv.URL, Secret: secret}, httptarget.Options{}); err != nil {
		t.Fatal(err)
	}
	done, dead := events{slaq.EventCompleted, make(chan slaq.Event, 10)}, events{slaq.EventFailed, make(chan slaq.Event, 10)}
	c, err := slaq.New(testenv.SQLiteStore(t), slaq.Config{Handler: mux, Observers: []slaq.Observer{done, dead}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	good, err := c.Enqueue(ctx, "hook", "good", slaq.WithTier(slaq.High), slaq.Backoff(slaq.None))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := c.Enqueue(ctx, "hook", "bad", slaq.WithTier(slaq.High))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		ch  chan slaq.Event
		id  string
		msg string
	}{{done.ch, good, ""}, {dead.ch, bad, "400 Bad Request: no such customer"}} {
		select {
		case e := <-w.ch:
			if e.Job.ID != w.id || !strings.Contains(e.Error, w.msg) {
				t.Fatalf("event %+v, want job %s with %q", e, w.id, w.msg)
			}
			if w.msg == "" && e.Job.Attempts != 1 {
				t.Fatalf("good job completed after %d failed attempts, want 1", e.Job.Attempts)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("timed out")
		}
	}
}

// BenchmarkW1 is W1 for HTTP targets: jobs are enqueued in bulk, then 50 MEDIUM workers
// POST each to a local no-op endpoint; jobs/s is the drain rate.
//
//	go test -run '^$' -bench W1 -benchtime 1x ./httptarget
func BenchmarkW1(b *testing.B) {
	for _, kind := range []struct {
		name string
		open func(testing.TB) store.Store
	}{
		{"redis", func(t testing.TB) store.Store { return testenv.RedisStore(t) }},
		{"embedded", func(t testing.TB) store.Store { return testenv.SQLiteStore(t) }},
	} {
		b.Run(kind.name, func(b *testing.B) {
			for b.Loop() {
				b.ReportMetric(runW1(b, kind.open(b), 50_000), "jobs/s")
			}
		})
	}
}

func runW1(b *testing.B, st store.Store, n int) float64 {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	mux := slaq.NewServeMux()
	if err := httptarget.Register(mux, "hook", httptarget.Target{URL: srv.URL, Secret: secret}, httptarget.Options{}); err != nil {
		b.Fatal(err)
	}
	var left atomic.Int64
	left.Store(int64(n))
	finished := make(chan struct{})
	var last atomic.Int64
	obs := slaq.ObserverFunc(func(e slaq.Event) {
		if e.Kind == slaq.EventCompleted && left.Add(-1) == 0 {
			last.Store(time.Now().UnixNano())
			close(finished)
		}
	})
	c, err := slaq.New(st, slaq.Config{Handler: mux, Observers: []slaq.Observer{obs},
		Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Medium: {Workers: 50, MaxWorkers: 50}}})
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]slaq.Request, n)
	for i := range reqs {
		reqs[i] = slaq.Request{Type: "hook", Payload: map[string]int{"i": i}, Options: []slaq.Option{slaq.WithTier(slaq.Medium)}}
	}
	for i := 0; i < n; i += 1000 {
		if _, err := c.EnqueueBulk(ctx, reqs[i:min(i+1000, n)]); err != nil {
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
	rate := float64(n) / time.Duration(last.Load()-start.UnixNano()).Seconds()
	_ = c.Stop(ctx)
	return rate
}
