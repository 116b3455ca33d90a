package server

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/alert"
	"github.com/slaqhq/slaq/httptarget"
	"github.com/slaqhq/slaq/prom"
)

// ops is what the server observes the job events with: the Prometheus exporter (/metrics)
// and the alert manager (to the log, to Sentry when SENTRY_DSN is set, and by email when the
// config file says so).
type ops struct {
	metrics *prom.Exporter
	alerts  *alert.Manager
}

// newOps builds the exporter and the alert manager; redact shows an alert's job as
// notifiers may (the client's RedactJob, once the client exists).
func newOps(cfg Config, b *Backend, log *slog.Logger, redact func(*slaq.Job) *slaq.Job) (*ops, error) {
	sla := map[slaq.Tier]time.Duration{}
	for t, tc := range cfg.Tiers {
		sla[t] = tc.SLA
	}
	var types []string
	for name := range cfg.Types {
		types = append(types, name)
	}
	notifiers, err := cfg.Alerts.notifiers(cfg.Env, log)
	if err != nil {
		return nil, err
	}
	a := cfg.Alerts
	o := alert.Options{Claimer: b.Store, Notifiers: notifiers, Logger: log, Redact: redact,
		DeadLetterWindow: a.DeadLetterWindow, SLABreachWindow: a.SLABreachWindow, SLATiers: a.SLATiers,
		ThresholdCount: a.ThresholdCount, ThresholdWindow: a.ThresholdWindow}
	if !a.NoThreshold {
		o.DeadLetters = alert.CountDLQ(b.DeadLetters)
	}
	return &ops{metrics: prom.New(prom.Options{SLA: sla, Types: types}), alerts: alert.New(o)}, nil
}

func (o *ops) observers() []slaq.Observer { return []slaq.Observer{o.metrics, o.alerts} }

// registerTargets registers the HTTP-target job types the file declares.
func registerTargets(mux *slaq.ServeMux, types map[string]JobType) error {
	for name, t := range types {
		if t.Target == nil {
			continue
		}
		if err := httptarget.Register(mux, name, *t.Target, httptarget.Options{}); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	return nil
}
