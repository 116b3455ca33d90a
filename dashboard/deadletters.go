package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
)

// timeInput is the layout of the filter's datetime-local inputs, read as UTC.
const timeInput = "2006-01-02T15:04"

// deadLettersView is the dead-letter page's data.
type deadLettersView struct {
	Tiers        []slaq.Tier
	Type         string
	Tier         slaq.Tier
	Since, Until string // the inputs as given
	Entries      []dlq.Entry
	Total        int64
	From, To     int    // 1-based positions of the page's first and last row
	Prev, Next   string // the previous and next pages' queries; "" when none
	Filtered     bool
	Query        string // the current filter and offset, to come back to after an action
	NoQueue      bool   // the dashboard has no dead-letter queue
	Error        string
}

func (h *Handler) deadLetters(w http.ResponseWriter, r *http.Request, s *session) {
	v := deadLettersView{Tiers: slaq.Tiers[:]}
	if h.opts.DeadLetters == nil {
		v.NoQueue = true
		h.render(w, r, http.StatusOK, "deadletters", s, "Dead letters", v)
		return
	}
	f, offset, err := h.filter(r.URL.Query(), &v)
	if err != nil {
		v.Error = err.Error()
		h.render(w, r, http.StatusBadRequest, "deadletters", s, "Dead letters", v)
		return
	}
	ctx, cancel := h.query(r)
	defer cancel()
	f.Limit, f.Offset = h.opts.PageSize, offset
	if v.Entries, err = h.opts.DeadLetters.List(ctx, f); err == nil {
		v.Total, err = h.opts.DeadLetters.Count(ctx, f)
	}
	if err != nil {
		v.Error = "The dead-letter database did not answer: " + err.Error()
		h.render(w, r, http.StatusServiceUnavailable, "deadletters", s, "Dead letters", v)
		return
	}
	for i := range v.Entries {
		v.Entries[i].Payload = h.opts.Client.Redact(v.Entries[i].Type, v.Entries[i].Payload) // sensitive fields read [redacted]
	}
	v.From, v.To = offset+1, offset+len(v.Entries)
	page := func(off int) string {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(off))
		return q.Encode()
	}
	if offset > 0 {
		v.Prev = page(max(offset-h.opts.PageSize, 0))
	}
	if int64(v.To) < v.Total {
		v.Next = page(v.To)
	}
	h.render(w, r, http.StatusOK, "deadletters", s, "Dead letters", v)
}

// filter reads ?type=&tier=&since=&until=&offset= into a filter and the view's inputs.
func (h *Handler) filter(q url.Values, v *deadLettersView) (dlq.Filter, int, error) {
	v.Type, v.Since, v.Until = strings.TrimSpace(q.Get("type")), q.Get("since"), q.Get("until")
	v.Query = q.Encode()
	f := dlq.Filter{Type: v.Type}
	if t := q.Get("tier"); t != "" {
		tier, err := slaq.ParseTier(t)
		if err != nil {
			return f, 0, err
		}
		f.Tier, v.Tier = tier, tier
	}
	for _, in := range []struct {
		s   string
		dst *int64
	}{{v.Since, &f.Since}, {v.Until, &f.Until}} {
		if in.s == "" {
			continue
		}
		t, err := time.Parse(timeInput, in.s)
		if err != nil {
			return f, 0, fmt.Errorf("time %q: want YYYY-MM-DDTHH:MM (UTC)", in.s)
		}
		*in.dst = t.UnixMilli()
	}
	v.Filtered = f != (dlq.Filter{})
	offset, _ := strconv.Atoi(q.Get("offset"))
	return f, max(offset, 0), nil
}

// backToList returns the dead-letter page with the filter the form came from.
func (h *Handler) backToList(w http.ResponseWriter, r *http.Request) {
	q, _ := url.ParseQuery(r.PostFormValue("query"))
	h.redirect(w, r, "dead-letters?"+q.Encode())
}

// selected returns the job ids a bulk form checked.
func selected(r *http.Request) []string {
	_ = r.ParseForm()
	var ids []string
	for _, id := range r.PostForm["id"] {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

func (h *Handler) retryDeadLetters(w http.ResponseWriter, r *http.Request, s *session) {
	h.eachDeadLetter(w, r, s, "retry", "Retried", h.opts.Client.RetryDeadLetter)
}

func (h *Handler) deleteDeadLetters(w http.ResponseWriter, r *http.Request, s *session) {
	h.eachDeadLetter(w, r, s, "delete", "Deleted", h.opts.Client.DeleteDeadLetter)
}

// eachDeadLetter applies op to every selected id and reports how it went.
func (h *Handler) eachDeadLetter(w http.ResponseWriter, r *http.Request, s *session, verb, done string,
	op func(ctx context.Context, id string) error) {
	ids := selected(r)
	if len(ids) == 0 {
		s.setFlash("error", "Select at least one dead letter to "+verb+".")
		h.backToList(w, r)
		return
	}
	ok := 0
	var failed []string
	for _, id := range ids {
		ctx, cancel := h.query(r)
		err := op(ctx, id)
		cancel()
		switch {
		case err == nil:
			ok++
		case errors.Is(err, slaq.ErrNotFound):
			failed = append(failed, id+": already gone")
		default:
			failed = append(failed, id+": "+err.Error())
		}
	}
	msg := fmt.Sprintf("%s %d of %d dead letter%s.", done, ok, len(ids), plural(len(ids)))
	if len(failed) > 0 {
		s.setFlash("error", msg+" Failed: "+strings.Join(failed, "; "))
	} else {
		s.setFlash("ok", msg)
	}
	h.backToList(w, r)
}

// purgeDeadLetters deletes the entries that failed more than older_than (a count of
// unit: hours or days) ago.
func (h *Handler) purgeDeadLetters(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("older_than")))
	unit := map[string]time.Duration{"hours": time.Hour, "days": 24 * time.Hour}[r.PostFormValue("unit")]
	switch {
	case h.opts.DeadLetters == nil:
		s.setFlash("error", "This dashboard has no dead-letter queue.")
	case err != nil || n < 0 || unit == 0:
		s.setFlash("error", "Purge needs a whole number of hours or days.")
	default:
		ctx, cancel := h.query(r)
		defer cancel()
		cut := h.opts.Now().Add(-time.Duration(n) * unit)
		removed, err := h.opts.DeadLetters.Purge(ctx, cut.UnixMilli())
		if err != nil {
			s.setFlash("error", "Purge failed: "+err.Error())
		} else {
			s.setFlash("ok", fmt.Sprintf("Purged %d dead letter%s that failed before %s UTC.", removed, plural(removed), fmtTime(cut)))
		}
	}
	h.backToList(w, r)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
