package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/slaqhq/slaq"
)

// jobStates are the states a listing shows, in tab order.
var jobStates = []slaq.State{"waiting", "delayed", "active", "completed", "failed"}

// jobsView is the jobs page's data.
type jobsView struct {
	Tiers  []slaq.Tier
	States []slaq.State
	Tier   slaq.Tier
	State  slaq.State
	Jobs   []*slaq.Job
	Next   string // the next page's query, "" on the last page
	First  bool   // this is the first page
	Error  string
}

func (h *Handler) jobs(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	v := jobsView{Tiers: slaq.Tiers[:], States: jobStates, Tier: slaq.Critical, State: "waiting", First: q.Get("cursor") == ""}
	if t := q.Get("tier"); t != "" {
		tier, err := slaq.ParseTier(t)
		if err != nil {
			v.Error = err.Error()
			h.render(w, r, http.StatusBadRequest, "jobs", s, "Jobs", v)
			return
		}
		v.Tier = tier
	}
	if st := slaq.State(q.Get("state")); st != "" {
		v.State = st
	}
	ctx, cancel := h.query(r)
	defer cancel()
	page, err := h.opts.Client.List(ctx, slaq.ListRequest{Tier: v.Tier, State: v.State, Cursor: q.Get("cursor"), Limit: h.opts.PageSize})
	status := http.StatusOK
	switch {
	case errors.Is(err, slaq.ErrInvalid):
		v.Error, status = err.Error(), http.StatusBadRequest
	case err != nil:
		v.Error, status = "The store did not answer: "+err.Error(), http.StatusServiceUnavailable
	default:
		v.Jobs = page.Jobs
		if page.Next != "" {
			v.Next = url.Values{"tier": {v.Tier.String()}, "state": {string(v.State)}, "cursor": {page.Next}}.Encode()
		}
	}
	h.render(w, r, status, "jobs", s, "Jobs · "+v.Tier.String()+" · "+string(v.State), v)
}

// lookup sends ?id= to the job's page.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request, s *session) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	if id == "" {
		h.redirect(w, r, "jobs")
		return
	}
	h.redirect(w, r, "jobs/"+url.PathEscape(id))
}

// jobView is the job page's data.
type jobView struct {
	Job          *slaq.Job
	Cancellable  bool
	DeadLettered bool // failed: retry and delete apply
	Error        string
	ID           string
}

func (h *Handler) job(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	ctx, cancel := h.query(r)
	defer cancel()
	j, err := h.opts.Client.Job(ctx, id)
	v := jobView{ID: id}
	status := http.StatusOK
	switch {
	case errors.Is(err, slaq.ErrNotFound):
		v.Error, status = "No job "+id+": it never existed, was cancelled, or its retention ended.", http.StatusNotFound
	case err != nil:
		v.Error, status = "The store did not answer: "+err.Error(), http.StatusServiceUnavailable
	default:
		v.Job = h.opts.Client.RedactJob(j) // sensitive payload fields read [redacted]
		v.Cancellable = j.State == "waiting" || j.State == "delayed"
		v.DeadLettered = j.State == "failed"
	}
	h.render(w, r, status, "job", s, "Job "+id, v)
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	ctx, cancel := h.query(r)
	defer cancel()
	switch err := h.opts.Client.Cancel(ctx, id); {
	case err == nil:
		s.setFlash("ok", "Cancelled job "+id+".")
	case errors.Is(err, slaq.ErrNotCancellable):
		s.setFlash("error", "Job "+id+" is neither waiting nor delayed any more: it cannot be cancelled.")
	case errors.Is(err, slaq.ErrNotFound):
		s.setFlash("error", "No job "+id+".")
	default:
		s.setFlash("error", "Could not cancel job "+id+": "+err.Error())
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "jobs") {
		back = "jobs"
	}
	h.redirect(w, r, back)
}
