package prom

// The metric names. Counters and histograms carry the labels tier and type; gauges carry tier.
const (
	MetricEnqueued      = "slaq_jobs_enqueued_total"      // jobs stored by Enqueue in this process
	MetricStarted       = "slaq_jobs_started_total"       // runs started
	MetricCompleted     = "slaq_jobs_completed_total"     // runs that succeeded
	MetricRetried       = "slaq_jobs_retried_total"       // runs that failed with a retry to come
	MetricSnoozed       = "slaq_jobs_snoozed_total"       // runs that asked to run again later
	MetricFailed        = "slaq_jobs_failed_total"        // jobs that ran out of attempts or failed permanently
	MetricDeadLettered  = "slaq_jobs_dead_lettered_total" // jobs moved to the dead-letter queue (once per job across processes)
	MetricReleased      = "slaq_jobs_released_total"      // jobs handed back at shutdown
	MetricAbandoned     = "slaq_jobs_abandoned_total"     // runs given up on after ignoring their timeout
	MetricRateLimited   = "slaq_jobs_rate_limited_total"  // runs deferred by the job type's rate limit
	MetricSpooled       = "slaq_jobs_spooled_total"       // jobs Enqueue wrote to the local spool (the store did not answer)
	MetricForwarded     = "slaq_jobs_forwarded_total"     // jobs moved from the outbox or the spool into the store
	MetricRanDirect     = "slaq_jobs_ran_direct_total"    // jobs Enqueue ran in-process (DegradeDirect: the store did not answer)
	MetricSLABreaches   = "slaq_sla_breaches_total"       // pickups slower than the tier's target (label tier only)
	MetricPickup        = "slaq_pickup_latency_seconds"   // histogram: runnable to started
	MetricRunTime       = "slaq_run_time_seconds"         // histogram: one run's duration
	MetricEventsDropped = "slaq_events_dropped_total"     // events the observers could not take (no labels)

	MetricWaiting       = "slaq_jobs_waiting"          // store: runnable jobs waiting for a worker
	MetricActive        = "slaq_jobs_active"           // store: jobs running under a lease, every process
	MetricDelayed       = "slaq_jobs_delayed"          // store: jobs scheduled for later or backing off
	MetricPaused        = "slaq_tier_paused"           // store: 1 while the tier is paused
	MetricStoreComplete = "slaq_store_completed_total" // store: completed jobs since the store was created
	MetricStoreFailed   = "slaq_store_failed_total"    // store: failed jobs since the store was created
	MetricStoreUp       = "slaq_store_up"              // 1 when the store answered the scrape, 0 when degraded (no labels)
	MetricWorkers       = "slaq_workers"               // this process: the tier's own workers
	MetricWorkersBusy   = "slaq_workers_busy"          // this process: own workers running a job or fetching
	MetricWorkersLent   = "slaq_workers_lent"          // this process: own workers running another tier's job
	MetricRunning       = "slaq_jobs_running"          // this process: the tier's jobs running, on any worker
)

// Names lists every metric the exporter can expose.
var Names = []string{
	MetricEnqueued, MetricStarted, MetricCompleted, MetricRetried, MetricSnoozed, MetricFailed,
	MetricDeadLettered, MetricReleased, MetricAbandoned, MetricRateLimited, MetricSpooled, MetricForwarded,
	MetricRanDirect, MetricSLABreaches,
	MetricPickup, MetricRunTime, MetricEventsDropped,
	MetricWaiting, MetricActive, MetricDelayed, MetricPaused, MetricStoreComplete, MetricStoreFailed,
	MetricStoreUp, MetricWorkers, MetricWorkersBusy, MetricWorkersLent, MetricRunning,
}
