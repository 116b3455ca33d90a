// Package alert turns slaq's event stream into alerts that fire once per window, however many
// replicas run.
//
// A [Manager] is a [slaq.Observer] with three rules, each on by default:
//
//   - dead letters: a job was dead-lettered (once per job type per DeadLetterWindow, 5 min);
//   - SLA breaches: a pickup was slower than its tier's target (once per tier per
//     SLABreachWindow, 5 min);
//   - the guide's threshold: more than ThresholdCount (10) jobs dead-lettered in
//     ThresholdWindow (24 h), counted in the dead-letter queue (once per ThresholdWindow).
//
// Each alert carries the job's type, tier, id and error. Before it is sent, the alert's key is
// claimed in the store (store.Store.Once, a [Claimer]), so exactly one replica sends it per
// window. Sending happens off the event stream: each [Notifier] (the log, Sentry in package
// alert/sentry, email in alert/email) has its own bounded queue and goroutine, so a notifier
// that is down never slows a worker, the event stream, or the other notifiers. A failed send
// is retried (Attempts, RetryWait doubling), then counted as dropped and logged with the whole
// alert: an alert is never lost silently.
package alert
