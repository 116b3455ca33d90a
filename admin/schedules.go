package admin

import (
	"net/http"
	"time"
)

// scheduleView is a schedule in GET /api/jobs/schedules. Times are Unix ms; 0 means none.
type scheduleView struct {
	Name      string `json:"name"`
	Spec      string `json:"spec"`
	Zone      string `json:"zone"`
	Type      string `json:"type"`
	Tier      string `json:"tier"`
	Priority  int    `json:"priority"`
	Missed    string `json:"missed"`     // skip or catch_up
	LastRun   int64  `json:"last_run"`   // the latest tick this server saw enqueued
	LastID    string `json:"last_id"`    // that tick's job
	LastError string `json:"last_error"` // why this server last failed to enqueue a tick ("" after a success)
	NextRun   int64  `json:"next_run"`
}

type schedulesAnswer struct {
	Success   bool           `json:"success"`
	Schedules []scheduleView `json:"schedules"`
}

func (h *Handler) schedules(w http.ResponseWriter, _ *http.Request) {
	list := h.opts.Client.Schedules()
	out := schedulesAnswer{Success: true, Schedules: make([]scheduleView, len(list))}
	for i, s := range list {
		out.Schedules[i] = scheduleView{Name: s.Name, Spec: s.Spec, Zone: s.Zone, Type: s.Type, Tier: s.Tier.String(),
			Priority: int(s.Tier), Missed: s.Missed.String(), LastRun: msOrZero(s.LastRun), LastID: s.LastID,
			LastError: s.LastError, NextRun: msOrZero(s.NextRun)}
	}
	writeJSON(w, http.StatusOK, out)
}

// msOrZero is t in Unix ms, 0 for the zero time.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
