package alert

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
)

// The rules' names, in Alert.Rule.
const (
	RuleDeadLetter = "dead_letter"           // a job was dead-lettered
	RuleSLABreach  = "sla_breach"            // a pickup slower than the tier's target
	RuleThreshold  = "dead_letter_threshold" // more than ThresholdCount dead letters in ThresholdWindow
)

// Alert is one notification.
type Alert struct {
	Rule    string        // RuleDeadLetter, RuleSLABreach or RuleThreshold
	Key     string        // what was claimed: at most one alert per key per Window, across replicas
	Summary string        // one line for people
	At      time.Time     // when the event happened
	Window  time.Duration // no other alert with this key is sent for this long
	Job     *slaq.Job     // the job that raised it (type, tier, id, attempts, payload)
	Error   string        // the job's last error (dead letters)
	Pickup  time.Duration // the pickup latency (SLA breaches)
	Count   int64         // dead letters in Window (threshold)
}

// Notifier sends alerts somewhere. Notify is called from one goroutine per notifier; an error
// makes the manager retry it.
type Notifier interface {
	Name() string
	Notify(ctx context.Context, a Alert) error
}

// Claimer claims a key for a window across replicas: Once returns true for exactly one caller
// until ttlMs has passed. Every slaq store (store.Store.Once) is one.
type Claimer interface {
	Once(ctx context.Context, key string, now, ttlMs int64) (won bool, err error)
}

// DeadLetterCounter counts the jobs dead-lettered since a time, across every replica.
type DeadLetterCounter func(ctx context.Context, since time.Time) (int64, error)

// CountDLQ counts in a dead-letter queue.
func CountDLQ(db *dlq.DB) DeadLetterCounter {
	return func(ctx context.Context, since time.Time) (int64, error) {
		return db.Count(ctx, dlq.Filter{Since: since.UnixMilli()})
	}
}

// Log is a Notifier writing alerts to a logger at level Error. Default slog.Default().
type Log struct{ Logger *slog.Logger }

// Name is "log".
func (Log) Name() string { return "log" }

// Notify logs a.
func (l Log) Notify(_ context.Context, a Alert) error {
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	args := []any{"rule", a.Rule, "window", a.Window}
	if j := a.Job; j != nil {
		args = append(args, "job_type", j.Type, "tier", j.Tier.String(), "job_id", j.ID, "attempts", j.Attempts)
	}
	if a.Error != "" {
		args = append(args, "error", a.Error)
	}
	if a.Count > 0 {
		args = append(args, "count", a.Count)
	}
	log.Error("slaq alert: "+a.Summary, args...)
	return nil
}

func summary(a Alert) string {
	switch a.Rule {
	case RuleDeadLetter:
		return fmt.Sprintf("job %s (%s, %s) was dead-lettered after %d attempts: %s", a.Job.ID, a.Job.Type, a.Job.Tier, a.Job.Attempts, a.Error)
	case RuleSLABreach:
		return fmt.Sprintf("%s pickup took %s, over the tier's target (job %s, %s)", a.Job.Tier, a.Pickup.Round(time.Millisecond), a.Job.ID, a.Job.Type)
	default:
		return fmt.Sprintf("%d jobs failed in the last %s", a.Count, a.Window)
	}
}
