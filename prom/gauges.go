package prom

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slaqhq/slaq"
)

// gauges reads the watched client at scrape time: the store's O(1) counts and this process's
// workers. A store that does not answer within the scrape timeout shows as slaq_store_up 0.
type gauges struct{ x *Exporter }

var (
	tierLabel   = []string{"tier"}
	descWaiting = prometheus.NewDesc(MetricWaiting, "Runnable jobs waiting for a worker (store, every process).", tierLabel, nil)
	descActive  = prometheus.NewDesc(MetricActive, "Jobs running under a lease (store, every process).", tierLabel, nil)
	descDelayed = prometheus.NewDesc(MetricDelayed, "Jobs scheduled for later or backing off before a retry (store).", tierLabel, nil)
	descPaused  = prometheus.NewDesc(MetricPaused, "1 while the tier is paused (store).", tierLabel, nil)
	descStoreOK = prometheus.NewDesc(MetricStoreComplete, "Jobs completed since the store was created (store).", tierLabel, nil)
	descStoreKO = prometheus.NewDesc(MetricStoreFailed, "Jobs failed since the store was created (store).", tierLabel, nil)
	descUp      = prometheus.NewDesc(MetricStoreUp, "1 when the store answered this scrape, 0 when it did not (degraded).", nil, nil)
	descWorkers = prometheus.NewDesc(MetricWorkers, "The tier's own workers in this process.", tierLabel, nil)
	descBusy    = prometheus.NewDesc(MetricWorkersBusy, "Own workers running a job (of any tier) or fetching, in this process.", tierLabel, nil)
	descLent    = prometheus.NewDesc(MetricWorkersLent, "Own workers running another tier's job, in this process.", tierLabel, nil)
	descRunning = prometheus.NewDesc(MetricRunning, "The tier's jobs running in this process, on any worker.", tierLabel, nil)
	descDropped = prometheus.NewDesc(MetricEventsDropped, "Events the observers could not take (the event queue was full).", nil, nil)
)

// Describe sends every gauge's description.
func (g gauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWaiting, descActive, descDelayed, descPaused, descStoreOK, descStoreKO,
		descUp, descWorkers, descBusy, descLent, descRunning, descDropped} {
		ch <- d
	}
}

// Collect reads the watched client; with none it sends nothing.
func (g gauges) Collect(ch chan<- prometheus.Metric) {
	c := g.x.client.Load()
	if c == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(c.EventsDropped()))
	ctx, cancel := context.WithTimeout(context.Background(), g.x.timeout)
	defer cancel()
	m, err := c.Metrics(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for _, t := range slaq.Tiers {
		tm, ok := m[t.String()]
		if !ok {
			continue
		}
		n := t.String()
		paused := 0.0
		if tm.Paused {
			paused = 1
		}
		for _, v := range []struct {
			d   *prometheus.Desc
			typ prometheus.ValueType
			v   float64
		}{
			{descWaiting, prometheus.GaugeValue, float64(tm.Waiting)}, {descActive, prometheus.GaugeValue, float64(tm.Active)},
			{descDelayed, prometheus.GaugeValue, float64(tm.Delayed)}, {descPaused, prometheus.GaugeValue, paused},
			{descStoreOK, prometheus.CounterValue, float64(tm.Completed)}, {descStoreKO, prometheus.CounterValue, float64(tm.Failed)},
			{descWorkers, prometheus.GaugeValue, float64(tm.Workers)}, {descBusy, prometheus.GaugeValue, float64(tm.Busy)},
			{descLent, prometheus.GaugeValue, float64(tm.Lent)}, {descRunning, prometheus.GaugeValue, float64(tm.Running)},
		} {
			ch <- prometheus.MustNewConstMetric(v.d, v.typ, v.v, n)
		}
	}
}
