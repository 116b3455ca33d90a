package dashboard

import (
	"net/http"

	"github.com/slaqhq/slaq"
)

// configView is the config page's data. Schedules and RateLimits are nil when the server
// supplies none, and the page leaves their panels out.
type configView struct {
	Tiers         []tierRow
	TiersError    string
	Schedules     []Schedule
	HasSchedules  bool
	SchedulesErr  string
	RateLimits    []RateLimit
	HasRateLimits bool
	RateLimitsErr string
}

func (h *Handler) config(w http.ResponseWriter, r *http.Request, s *session) {
	v := configView{HasSchedules: h.opts.Schedules != nil, HasRateLimits: h.opts.RateLimits != nil}
	ctx, cancel := h.query(r)
	defer cancel()
	m, err := h.opts.Client.Metrics(ctx)
	if err != nil {
		v.TiersError = err.Error()
	} else {
		for _, t := range slaq.Tiers {
			v.Tiers = append(v.Tiers, tierRow{Tier: t, Name: t.String(), M: m[t.String()]})
		}
	}
	if v.HasSchedules {
		if v.Schedules, err = h.opts.Schedules(ctx); err != nil {
			v.SchedulesErr = err.Error()
		}
	}
	if v.HasRateLimits {
		if v.RateLimits, err = h.opts.RateLimits(ctx); err != nil {
			v.RateLimitsErr = err.Error()
		}
	}
	h.render(w, r, http.StatusOK, "config", s, "Config", v)
}
