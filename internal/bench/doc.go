// Package bench implements slaq's benchmark workloads W1–W5, exactly as
// shared/bench/WORKLOADS.md defines them, against either store: the embedded SQLite store or
// Redis. The `slaq bench` command runs each workload in a fresh process and aggregates the
// runs; tests call [Run] directly with shrunken [Params].
//
// Every workload maps the spec's "queue" to one slaq tier: W1, W2, W4 and W5 use MEDIUM with
// the workload's worker count and upward help off (so the tier's concurrency is exactly the
// workload's), W3 uses the five tiers. Completed jobs are deleted on completion
// (Config.Retention < 0), as the spec requires of every adapter.
package bench
