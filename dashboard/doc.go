// Package dashboard is slaq's web page for the on-call engineer: is every tier inside its SLA
// right now, and if not, what is holding it.
//
// It is an [http.Handler] (served by `slaq serve` under /dashboard/, mountable in any Go
// server) that renders every page on the server with html/template and refreshes the live
// parts with htmx, pinned and embedded (static/htmx-2.0.11.min.js, 0BSD, see
// static/htmx-LICENSE.txt): nothing is fetched from elsewhere, so it works offline.
//
// Pages:
//   - Tiers: the five tiers' counts, paused state and workers (busy, own, lent), pickup
//     p50/p99 against the target and the SLA compliance, coloured inside / at risk /
//     breaching, with the age of the oldest waiting job and what holds the tier back; small
//     inline-SVG charts of pickup latency (with the target line) and throughput, drawn from a
//     [History] fed by the client's event stream. Pause and resume, with a confirmation.
//   - Jobs: per tier and state, paged; a job's detail; cancel; lookup by id.
//   - Dead letters: filter by type, tier and time; page; payload and error; retry or delete
//     one or many; purge older than.
//   - Config: the tiers' targets and workers; the client's cron schedules (spec, zone, job
//     type, tier, missed-tick policy, last run linked to its job, next run;
//     [Options.Schedules] overrides the list); and, when the server supplies them, the rate
//     limits ([Options.RateLimits]).
//
// Sign-in takes an admin token. The browser keeps only an HttpOnly, SameSite=Strict cookie
// holding a random session id; the server keeps the id's SHA-256, never the token.
// State-changing requests from other origins are refused ([http.CrossOriginProtection]).
// Sessions live in the handler's memory: a restart signs everyone out.
//
// Pickup latency, workers and the charts describe the process serving the dashboard (as
// [slaq.Client.Metrics] does); the counts are the store's, shared by every process.
package dashboard
