// Package prom exports slaq's metrics to Prometheus.
//
// An [Exporter] is a [slaq.Observer]: give it to slaq.Config.Observers and it counts every job
// event (enqueued, started, completed, retried, snoozed, failed, dead-lettered, released,
// abandoned, rate-limit deferrals, SLA breaches) per tier and job type, and records pickup
// latency (buckets around each tier's SLA target) and run time in histograms. Once the client
// exists, [Exporter.Watch] lets a scrape read the client's gauges (waiting, active, delayed,
// paused from the store's O(1) counts; this process's workers, busy, lent and running; events
// dropped). The exporter has its own registry; [Exporter.Handler] serves it and can be mounted
// in any Go server:
//
//	exp := prom.New(prom.Options{})
//	c, _ := slaq.New(st, slaq.Config{Handler: mux, Observers: []slaq.Observer{exp}})
//	exp.Watch(c)
//	http.Handle("GET /metrics", exp.Handler())
//
// Label cardinality is bounded: the first [Options.MaxTypes] job types seen get their own
// label value, and later ones are counted under "other". Every metric name is listed in
// [Names]; deploy/ holds a Grafana dashboard and Prometheus alert rules built on them.
package prom
