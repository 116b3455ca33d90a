package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dashboard"
	"github.com/slaqhq/slaq/prom"

	"github.com/slaqhq/slaq/examples/fintech/internal/auth"
	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
)

// DevTokenTTL is how long the tokens printed at a development start are valid: 24 h.
const DevTokenTTL = 24 * time.Hour

// MetricRanDirect counts the jobs run in the request because the queue did not answer
// (slaq's DegradeDirect), by job type.
const MetricRanDirect = "fintech_jobs_ran_direct_total"

// newDirectCounter returns the observer that logs and counts direct runs, registered on
// the exporter's registry so /metrics shows it.
func newDirectCounter(x *prom.Exporter, log *slog.Logger) slaq.Observer {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricRanDirect,
		Help: "Jobs run directly in the request because the queue did not answer (the guide's fallback)."}, []string{"type"})
	x.Registry().MustRegister(c)
	return slaq.ObserverFunc(func(e slaq.Event) {
		if e.Kind != slaq.EventRanDirect {
			return
		}
		c.WithLabelValues(e.Job.Type).Inc()
		if e.Error != "" {
			log.Error("fintech: queue unavailable, sending directly failed", "type", e.Job.Type, "job", e.Job.ID, "err", e.Error)
			return
		}
		log.Warn("fintech: queue unavailable, sent directly", "type", e.Job.Type, "job", e.Job.ID, "run_ms", e.RunTime.Milliseconds())
	})
}

// adminBridge lets the service's own admin JWTs use slaq's admin API, which checks static
// tokens: a valid admin JWT is swapped for the admin token, a valid non-admin JWT is a 403,
// anything else goes through unchanged (the admin API answers 401 unless it is ADMIN_TOKEN).
func adminBridge(iss *auth.Issuer, token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := auth.Bearer(r); strings.Count(tok, ".") == 2 {
			if u, err := iss.Parse(tok); err == nil {
				if u.Role != ledger.RoleAdmin {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusForbidden)
					_, _ = io.WriteString(w, `{"error":{"code":"forbidden","message":"the job API needs the admin role"}}`+"\n")
					return
				}
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer "+token)
			}
		}
		h.ServeHTTP(w, r)
	})
}

func dashboardRateLimits(c *slaq.Client) func(context.Context) ([]dashboard.RateLimit, error) {
	return func(ctx context.Context) ([]dashboard.RateLimit, error) {
		limits, err := c.RateLimits(ctx)
		if err != nil {
			return nil, err
		}
		deferred := c.RateLimited()
		out := make([]dashboard.RateLimit, len(limits))
		for i, l := range limits {
			next := "now"
			if wait := time.Until(l.NextFree); wait > 0 {
				next = "in " + wait.Round(time.Millisecond).String()
			}
			out[i] = dashboard.RateLimit{Type: l.Type, Tier: l.Tier.String(), Limit: fmt.Sprintf("%d per %s", l.Rate, l.Per),
				NextFree: next, Deferred: deferred[l.Type]}
		}
		return out, nil
	}
}

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
