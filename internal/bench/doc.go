// Package bench implements slaq's benchmark workloads W1–W5, exactly as
// shared/bench/WORKLOADS.md defines them, and slaq's own rate-limit workload RL, against either
// store: the embedded SQLite store or Redis. The `slaq bench` command runs each workload in a
// fresh process and aggregates the runs; tests call [Run] directly with shrunken [Params].
//
// Every workload maps the spec's "queue" to one slaq tier: W1, W2, W4 and W5 use MEDIUM with
// the workload's worker count and upward help off (so the tier's concurrency is exactly the
// workload's), W3 uses the five tiers, RL uses HIGH. Completed jobs are deleted on completion
// (Config.Retention < 0), as the spec requires of every adapter.
//
// # W1's extra variant
//
// W1 bulk-idle-limit is W1 bulk with a rate limit configured on a type of MEDIUM that never
// runs: the fetch takes its rate-limited path (on Redis, the fetch script reads the tier's
// limits and lanes; on the embedded store, the fetch transaction reads the slaq_rate table)
// for jobs it does not limit. bulk-idle-limit / bulk is what a configured limit costs the
// tier's other jobs in throughput; `slaq bench --compare` sets a build against another (the
// commit before rate limits) for what the feature costs when no limit is configured.
//
// # RL: rate limits
//
// RL is not in WORKLOADS.md; it follows its conventions (payload, handler, clock,
// nearest-rank percentiles, one process per run) with these parameters ([RLParams], defaults
// in the RL* constants):
//
//   - tier HIGH, 10 workers (W3's HIGH), capped there;
//   - the limited type send_email, RateLimit 6,000 per minute (100/s), burst 0 (the library's
//     default), each job sleeping 5 ms; a backlog of 1.1 × the limit's quota for the warm-up
//     and the window (6,931 jobs) is enqueued in bulk before the workers start, so the type
//     runs at its limit throughout;
//   - an unlimited stream: 200 jobs/s open loop (each issued at its time without waiting for
//     earlier calls, as W3's CRITICAL), each sleeping 2 ms, through a window of 60 s that opens
//     3 s after the workers start. Arrivals are Poisson (exponential gaps, a fixed seed, so
//     every run has the same schedule) by default: periodic ones (--rl-arrivals periodic, W3's
//     way) keep one phase to the lane's fetches every 10 ms for a whole run, and each run then
//     measures that phase alone (the with / same-rate p99 ratio spread 0.94–1.53 across three
//     periodic runs, 0.80–1.34 across three Poisson ones).
//
// Variants, run interleaved by `slaq bench` (round k runs the k-th run of each):
//
//   - with: the limited backlog and the unlimited stream;
//   - without: the unlimited stream alone, no limit configured;
//   - same-rate: no limit, and through the window a second unlimited type (notify) arriving
//     open loop at the limit's rate with the limited jobs' sleep: the same work in the tier as
//     with, so with / same-rate separates what the limit costs from what its jobs cost.
//
// Metrics: unlimited_pickup_ms_p50/_p99/_max/_mean (handler start − issue time, the enqueue
// call included), unlimited_enqueue_us_*, unlimited_picked/_missing/_duplicates,
// unlimited_rate_achieved; in with: limited_starts_per_s (starts by the handlers' own start
// times in the window, over the window, to 0.01; not rounded to an integer as W1–W5's rates
// are, since the target is 2 %), limited_limit_per_s, limited_rate_ratio (the two divided),
// limited_in_window, limited_after_window (starts after the window: the backlog outlasted it,
// else the run is flagged), limited_max_per_period (the most starts in any window of Per by
// the runs' StartedAt, the store's clock on which the limit is decided) against
// limited_allowed_per_period (Rate + Burst), limited_backlog/_done/_duplicates, and
// limited_fetches_held (fetches its limit held back, Client.RateLimited); in same-rate:
// other_pickup_ms_*, other_picked/_missing, other_rate_achieved. The report divides
// unlimited_pickup_ms_p50 and _p99 of with by without and by same-rate, of the medians and run
// by run. Targets (issue 7): with / without p99 ≤ 1.10; limited_rate_ratio within 2 % of 1.
//
// `slaq bench --workload rl --duration 10s` shortens the window (the backlog shrinks with
// it) and `--rl-burst N` sets the burst; TestRLWorkload runs all three variants on both stores
// in seconds (a limit of 50 per second, burst 2, a 1 s window) and checks behaviour only: no
// period sees more than Rate + Burst starts, every job runs exactly once, the backlog outlasts
// the window.
package bench
