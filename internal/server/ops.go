package server

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/alert"
	"github.com/slaqhq/slaq/alert/sentry"
	"github.com/slaqhq/slaq/httptarget"
	"github.com/slaqhq/slaq/prom"
)

// ops is what the server observes the job events with: the Prometheus exporter (/metrics)
// and the alert manager (to the log, and to Sentry when SENTRY_DSN is set).
type ops struct {
	metrics *prom.Exporter
	alerts  *alert.Manager
}

func newOps(cfg Config, b *Backend, log *slog.Logger) (*ops, error) {
	sla := map[slaq.Tier]time.Duration{}
	for t, tc := range cfg.Tiers {
		sla[t] = tc.SLA
	}
	var types []string
	for name := range cfg.Types {
		types = append(types, name)
	}
	notifiers := []alert.Notifier{alert.Log{Logger: log}}
	switch n, err := sentry.New(sentry.Options{Environment: cfg.Env}); {
	case err == nil:
		notifiers = append(notifiers, n)
	case !errors.Is(err, sentry.ErrNoDSN):
		return nil, fmt.Errorf("SENTRY_DSN: %w", err)
	}
	m := alert.New(alert.Options{Claimer: b.Store, Notifiers: notifiers, DeadLetters: alert.CountDLQ(b.DeadLetters), Logger: log})
	return &ops{metrics: prom.New(prom.Options{SLA: sla, Types: types}), alerts: m}, nil
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
