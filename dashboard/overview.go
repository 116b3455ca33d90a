package dashboard

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slaqhq/slaq"
)

// The SLA states a tier is coloured by.
const (
	stateInside    = "inside"    // p99 and the oldest waiting job within AtRisk of the target
	stateAtRisk    = "at-risk"   // either past AtRisk of the target
	stateBreaching = "breaching" // either past the target
	stateNoTarget  = "no-target" // BATCH: background, no pickup target
)

// tierRow is one row of the tiers table.
type tierRow struct {
	Tier      slaq.Tier
	Name      string
	M         slaq.TierMetrics
	State     string // one of the state* constants
	Oldest    float64
	HasOldest bool   // a job is waiting: Oldest is its age in ms
	Holding   string // what holds the tier back, for people; "" when nothing does
	Latency   chart
	Output    chart
}

// tiersView is the tiers fragment's data.
type tiersView struct {
	Rows      []tierRow
	Error     string // the store did not answer: the table shows this instead
	Charts    bool   // a History feeds the charts
	Window    string // the charts' span, e.g. "10 min"
	UpdatedAt string
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request, s *session) {
	h.render(w, r, http.StatusOK, "overview", s, "Tiers", h.tiers(r))
}

// tiersFragment is the table the page polls; a poll leaves the flash message for the next
// page.
func (h *Handler) tiersFragment(w http.ResponseWriter, r *http.Request, _ *session) {
	h.renderTemplate(w, r, http.StatusOK, "overview", "tiers", nil, "", h.tiers(r))
}

// tiers reads the metrics and, per tier, the oldest waiting job.
func (h *Handler) tiers(r *http.Request) tiersView {
	ctx, cancel := h.query(r)
	defer cancel()
	v := tiersView{Charts: h.opts.History != nil, UpdatedAt: h.opts.Now().UTC().Format("15:04:05")}
	m, err := h.opts.Client.Metrics(ctx)
	if err != nil {
		v.Error = err.Error()
		return v
	}
	if v.Charts {
		v.Window = fmtDurationMs(float64((h.opts.History.Step() * time.Duration(len(h.opts.History.Series(slaq.Critical)))).Milliseconds()))
	}
	now := h.opts.Now().UnixMilli()
	for _, t := range slaq.Tiers {
		row := tierRow{Tier: t, Name: t.String(), M: m[t.String()]}
		if row.M.Waiting > 0 {
			p, err := h.opts.Client.List(ctx, slaq.ListRequest{Tier: t, State: "waiting", Limit: 1})
			if err != nil {
				v.Error = err.Error()
				return v
			}
			if len(p.Jobs) == 1 {
				row.HasOldest, row.Oldest = true, float64(max(now-p.Jobs[0].RunAt, 0))
			}
		}
		row.State = h.classify(row)
		row.Holding = holding(row)
		if v.Charts {
			pts := h.opts.History.Series(t)
			row.Latency = latencyChart(pts, row.M.Latency.SLA)
			row.Output = outputChart(pts, h.opts.History.Step())
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// classify colours a tier by its pickup p99 and its oldest waiting job against the target.
func (h *Handler) classify(row tierRow) string {
	target := row.M.Latency.SLA
	if target <= 0 {
		return stateNoTarget
	}
	worst := 0.0
	if row.M.Latency.Samples > 0 {
		worst = row.M.Latency.P99
	}
	if row.HasOldest {
		worst = max(worst, row.Oldest)
	}
	switch {
	case worst > target:
		return stateBreaching
	case worst > h.opts.AtRisk*target:
		return stateAtRisk
	}
	return stateInside
}

// holding says, for people, what keeps a tier's waiting jobs from running.
func holding(row tierRow) string {
	m := row.M
	var why []string
	if m.Paused {
		why = append(why, "paused")
	}
	if m.Waiting > 0 && !m.Paused {
		switch {
		case m.Workers == 0 && m.Running == 0:
			why = append(why, "no workers of its own in this process")
		case m.MaxWorkers > 0 && m.Running >= m.MaxWorkers:
			why = append(why, fmt.Sprintf("at its cap of %d running", m.MaxWorkers))
		case m.Workers > 0 && m.Busy >= m.Workers:
			why = append(why, fmt.Sprintf("all %d workers busy (%d lent)", m.Workers, m.Lent))
		}
	}
	if row.HasOldest && row.State == stateBreaching {
		why = append(why, "oldest waiting "+fmtDurationMs(row.Oldest))
	}
	return strings.Join(why, "; ")
}

// confirmView is the confirmation page of a pause or resume asked for without JavaScript.
type confirmView struct {
	Action, Tier, Text string
}

// pauseResume pauses or resumes a tier. A request without confirm=yes (a form posted without
// JavaScript, which asks in a dialog first) gets a confirmation page instead.
func (h *Handler) pauseResume(w http.ResponseWriter, r *http.Request, s *session) {
	action := r.PathValue("action")
	t, err := slaq.ParseTier(r.PathValue("tier"))
	if err != nil || (action != "pause" && action != "resume") {
		h.notFound(w, r, s)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		text := "Pause " + t.String() + "? Every process sharing the store stops starting its jobs; enqueues are still accepted."
		if action == "resume" {
			text = "Resume " + t.String() + "? Its waiting jobs start at once."
		}
		h.render(w, r, http.StatusOK, "confirm", s, "Confirm", confirmView{Action: action, Tier: t.String(), Text: text})
		return
	}
	ctx, cancel := h.query(r)
	defer cancel()
	if action == "pause" {
		err = h.opts.Client.Pause(ctx, t)
	} else {
		err = h.opts.Client.Resume(ctx, t)
	}
	if err != nil {
		s.setFlash("error", "Could not "+action+" "+t.String()+": "+err.Error())
	} else {
		s.setFlash("ok", map[string]string{"pause": "Paused ", "resume": "Resumed "}[action]+t.String()+".")
	}
	if r.Header.Get("HX-Request") == "true" {
		h.renderTemplate(w, r, http.StatusOK, "overview", "tiers", s, "", h.tiers(r))
		return
	}
	h.redirect(w, r, "")
}
