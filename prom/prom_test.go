package prom_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/prom"
	"github.com/slaqhq/slaq/store"
)

// scrape fetches url and parses the exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return fams
}

// value returns the value of the series of name whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// done receives every event after the exporter saw it (observers run in order on one
// goroutine), so once it has counted an event, the exporter has too.
type done struct{ ch chan slaq.Event }

func (d done) Observe(e slaq.Event) { d.ch <- e }

// wait returns once at least want[k] events of each kind k arrived.
func (d done) wait(t *testing.T, want map[slaq.EventKind]int) {
	t.Helper()
	got := map[slaq.EventKind]int{}
	deadline := time.After(20 * time.Second)
	for {
		ok := true
		for k, n := range want {
			ok = ok && got[k] >= n
		}
		if ok {
			return
		}
		select {
		case e := <-d.ch:
			got[e.Kind]++
		case <-deadline:
			t.Fatalf("timed out: got %v, want %v", got, want)
		}
	}
}

// TestMetricsAfterKnownJobs runs a known sequence on each store and checks the scraped values.
func TestMetricsAfterKnownJobs(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) store.Store
	}{
		{"embedded", func(t testing.TB) store.Store { return testenv.SQLiteStore(t) }},
		{"redis", func(t testing.TB) store.Store { return testenv.RedisStore(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) { runKnownJobs(t, tc.open(t)) })
	}
}

func runKnownJobs(t *testing.T, st store.Store) {
	ctx := context.Background()
	exp := prom.New(prom.Options{MaxTypes: 3, NoRuntimeMetrics: true})
	waiter := done{make(chan slaq.Event, 1024)}
	mux := slaq.NewServeMux()
	mux.HandleFunc("ok", func(context.Context, *slaq.Job) error { return nil })
	mux.HandleFunc("flaky", func(_ context.Context, j *slaq.Job) error {
		if j.Attempts == 0 {
			return errors.New("first run fails")
		}
		return nil
	})
	mux.HandleFunc("bad", func(context.Context, *slaq.Job) error { return slaq.Permanent(errors.New("broken")) })
	for _, typ := range []string{"x1", "x2"} {
		mux.HandleFunc(typ, func(context.Context, *slaq.Job) error { return nil })
	}
	c, err := slaq.New(st, slaq.Config{Handler: mux, DeadLetters: testenv.SQLiteDLQ(t),
		Observers: []slaq.Observer{exp, waiter}})
	if err != nil {
		t.Fatal(err)
	}
	exp.Watch(c)
	srv := httptest.NewServer(exp.Handler())
	defer srv.Close()

	for range 3 {
		if _, err := c.Enqueue(ctx, "ok", nil, slaq.WithTier(slaq.Critical)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Enqueue(ctx, "flaky", nil, slaq.WithTier(slaq.High), slaq.Backoff(slaq.None)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enqueue(ctx, "bad", nil, slaq.WithTier(slaq.Medium)); err != nil {
		t.Fatal(err)
	}
	// Types beyond MaxTypes (3: ok, flaky, bad) fold into "other".
	for _, typ := range []string{"x1", "x2"} {
		if _, err := c.Enqueue(ctx, typ, nil, slaq.WithTier(slaq.Low)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Enqueue(ctx, "later", nil, slaq.WithTier(slaq.Batch), slaq.Delay(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.Pause(ctx, slaq.Batch); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	waiter.wait(t, map[slaq.EventKind]int{slaq.EventDeadLettered: 1, slaq.EventCompleted: 6, slaq.EventEnqueued: 8})
	fams := scrape(t, srv.URL)

	for _, w := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{prom.MetricEnqueued, map[string]string{"tier": "CRITICAL", "type": "ok"}, 3},
		{prom.MetricStarted, map[string]string{"tier": "CRITICAL", "type": "ok"}, 3},
		{prom.MetricCompleted, map[string]string{"tier": "CRITICAL", "type": "ok"}, 3},
		{prom.MetricStarted, map[string]string{"tier": "HIGH", "type": "flaky"}, 2},
		{prom.MetricRetried, map[string]string{"tier": "HIGH", "type": "flaky"}, 1},
		{prom.MetricCompleted, map[string]string{"tier": "HIGH", "type": "flaky"}, 1},
		{prom.MetricFailed, map[string]string{"tier": "MEDIUM", "type": "bad"}, 1},
		{prom.MetricDeadLettered, map[string]string{"tier": "MEDIUM", "type": "bad"}, 1},
		{prom.MetricCompleted, map[string]string{"tier": "LOW", "type": prom.OtherType}, 2},
		{prom.MetricEnqueued, map[string]string{"tier": "BATCH", "type": prom.OtherType}, 1},
		{prom.MetricPickup, map[string]string{"tier": "CRITICAL", "type": "ok"}, 3},
		{prom.MetricPickup, map[string]string{"tier": "HIGH", "type": "flaky"}, 2},
		{prom.MetricRunTime, map[string]string{"tier": "HIGH", "type": "flaky"}, 2},
		{prom.MetricDelayed, map[string]string{"tier": "BATCH"}, 1},
		{prom.MetricWaiting, map[string]string{"tier": "CRITICAL"}, 0},
		{prom.MetricPaused, map[string]string{"tier": "BATCH"}, 1},
		{prom.MetricPaused, map[string]string{"tier": "CRITICAL"}, 0},
		{prom.MetricStoreComplete, map[string]string{"tier": "CRITICAL"}, 3},
		{prom.MetricStoreFailed, map[string]string{"tier": "MEDIUM"}, 1},
		{prom.MetricWorkers, map[string]string{"tier": "CRITICAL"}, 20},
		{prom.MetricStoreUp, nil, 1},
		{prom.MetricEventsDropped, nil, 0},
	} {
		got, ok := value(fams, w.name, w.labels)
		if !ok || got != w.want {
			t.Errorf("%s%v = %v (present %v), want %v", w.name, w.labels, got, ok, w.want)
		}
	}
	for _, name := range prom.Names { // every name the deploy files may use is exposed
		if _, ok := fams[name]; !ok {
			t.Errorf("%s is not exposed", name)
		}
	}
	if _, ok := value(fams, prom.MetricCompleted, map[string]string{"type": "x1"}); ok {
		t.Errorf("type x1 has its own series beyond MaxTypes")
	}
	// The pickup buckets of CRITICAL are laid around its 1 s target, BATCH's around 5 min.
	h := fams[prom.MetricPickup]
	for _, m := range h.Metric {
		var tier string
		for _, l := range m.Label {
			if l.GetName() == "tier" {
				tier = l.GetValue()
			}
		}
		if tier == "CRITICAL" && !hasBound(m.Histogram, 1) {
			t.Errorf("CRITICAL pickup buckets lack the 1 s target: %v", m.Histogram.Bucket)
		}
	}
}

func hasBound(h *dto.Histogram, b float64) bool {
	for _, x := range h.Bucket {
		if x.GetUpperBound() == b {
			return true
		}
	}
	return false
}

// The degradation events count per tier and type: spooled, forwarded and run directly.
func TestDegradationCounters(t *testing.T) {
	t.Parallel()
	x := prom.New(prom.Options{NoRuntimeMetrics: true})
	srv := httptest.NewServer(x.Handler())
	defer srv.Close()
	job := func(tier slaq.Tier, typ string) *slaq.Job { return &slaq.Job{ID: "x", Tier: tier, Type: typ} }
	events := []struct {
		kind slaq.EventKind
		job  *slaq.Job
		n    int
	}{
		{slaq.EventSpooled, job(slaq.High, "charge"), 3},
		{slaq.EventForwarded, job(slaq.High, "charge"), 2},
		{slaq.EventRanDirect, job(slaq.Critical, "send_password_reset"), 4},
	}
	for _, e := range events {
		for range e.n {
			x.Observe(slaq.Event{Kind: e.kind, Job: e.job})
		}
	}
	fams := scrape(t, srv.URL)
	for _, c := range []struct {
		name, tier, typ string
		want            float64
	}{
		{prom.MetricSpooled, "HIGH", "charge", 3},
		{prom.MetricForwarded, "HIGH", "charge", 2},
		{prom.MetricRanDirect, "CRITICAL", "send_password_reset", 4},
		{prom.MetricRanDirect, "HIGH", "charge", 0},
	} {
		got, _ := value(fams, c.name, map[string]string{"tier": c.tier, "type": c.typ})
		if got != c.want {
			t.Errorf("%s{tier=%s,type=%s} = %v, want %v", c.name, c.tier, c.typ, got, c.want)
		}
	}
}
