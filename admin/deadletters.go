package admin

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
)

type deadLettersAnswer struct {
	Success     bool        `json:"success"`
	DeadLetters []dlq.Entry `json:"dead_letters"`
	Total       int64       `json:"total"`       // entries the filter selects, over every page
	NextOffset  int         `json:"next_offset"` // offset of the next page; 0 on the last
}

type deadLetterAnswer struct {
	Success    bool      `json:"success"`
	DeadLetter dlq.Entry `json:"dead_letter"`
}

// needDLQ answers 501 and returns false when the handler has no dead-letter queue.
func (h *Handler) needDLQ(w http.ResponseWriter) bool {
	if h.opts.DeadLetters == nil {
		writeError(w, http.StatusNotImplemented, CodeNotImplemented, "this server has no dead-letter queue")
		return false
	}
	return true
}

// filterQuery reads ?type=&tier=&since=&until= (since/until Unix ms).
func filterQuery(r *http.Request) (dlq.Filter, error) {
	q := r.URL.Query()
	f := dlq.Filter{Type: q.Get("type")}
	if s := q.Get("tier"); s != "" {
		t, err := parseTier(s)
		if err != nil {
			return f, err
		}
		f.Tier = t
	}
	var err error
	if f.Since, err = queryInt(r, "since", 0, 0); err != nil {
		return f, err
	}
	if f.Until, err = queryInt(r, "until", 0, 0); err != nil {
		return f, err
	}
	return f, nil
}

func (h *Handler) deadLetters(w http.ResponseWriter, r *http.Request) {
	if !h.needDLQ(w) {
		return
	}
	f, err := filterQuery(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	limit, err := limitParam(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	offset, err := queryInt(r, "offset", 0, 0)
	if err != nil {
		writeErr(w, err)
		return
	}
	f.Limit, f.Offset = limit, int(offset)
	entries, err := h.opts.DeadLetters.List(r.Context(), f)
	if err != nil {
		writeErr(w, err)
		return
	}
	total, err := h.opts.DeadLetters.Count(r.Context(), f)
	if err != nil {
		writeErr(w, err)
		return
	}
	for i := range entries {
		h.redactEntry(&entries[i])
	}
	out := deadLettersAnswer{Success: true, DeadLetters: entries, Total: total}
	if next := f.Offset + len(entries); len(entries) == limit && int64(next) < total {
		out.NextOffset = next
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) deadLetter(w http.ResponseWriter, r *http.Request) {
	if !h.needDLQ(w) {
		return
	}
	e, err := h.opts.DeadLetters.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	h.redactEntry(e)
	writeJSON(w, http.StatusOK, deadLetterAnswer{Success: true, DeadLetter: *e})
}

// redactEntry replaces the values of e's sensitive payload fields (slaq.Client.Redact).
func (h *Handler) redactEntry(e *dlq.Entry) {
	e.Payload = h.opts.Client.Redact(e.Type, e.Payload)
}

// itemError is why one id of a bulk request failed.
type itemError struct {
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type retryAnswer struct {
	Success   bool        `json:"success"` // every named dead letter was retried
	Retried   []string    `json:"retried"`
	Errors    []itemError `json:"errors"`
	Remaining int64       `json:"remaining"` // with a filter: entries it still selects
}

func (h *Handler) retryDeadLetter(w http.ResponseWriter, r *http.Request) {
	if !h.needDLQ(w) {
		return
	}
	id := r.PathValue("id")
	if err := h.opts.Client.RetryDeadLetter(r.Context(), id); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, retryAnswer{Success: true, Retried: []string{id}, Errors: []itemError{}})
}

// bulkBody names dead letters by id, or by a filter and a limit.
type bulkBody struct {
	IDs    []string    `json:"ids"`
	Filter *filterBody `json:"filter"`
	Limit  int         `json:"limit"` // with a filter: most entries to act on; default DefaultListLimit, at most MaxListLimit
}

// filterBody selects dead letters; an empty one selects all of them.
type filterBody struct {
	Type  string  `json:"type"`
	Tier  tierRef `json:"tier"`
	Since int64   `json:"since"`
	Until int64   `json:"until"`
}

func (f *filterBody) filter() dlq.Filter {
	return dlq.Filter{Type: f.Type, Tier: f.Tier.tier, Since: f.Since, Until: f.Until}
}

// bulkIDs reads a bulk body and returns the ids it names (looked up for a filter).
func (h *Handler) bulkIDs(r *http.Request) ([]string, *dlq.Filter, error) {
	var b bulkBody
	if err := decode(r, &b, false); err != nil {
		return nil, nil, err
	}
	switch {
	case len(b.IDs) > 0 && b.Filter != nil:
		return nil, nil, badRequest(`give "ids" or "filter", not both`)
	case len(b.IDs) > MaxListLimit:
		return nil, nil, badRequest("at most " + itoa(MaxListLimit) + " ids in one request")
	case len(b.IDs) > 0:
		for _, id := range b.IDs {
			if strings.TrimSpace(id) == "" {
				return nil, nil, badRequest("an empty id in ids")
			}
		}
		return b.IDs, nil, nil
	case b.Filter == nil:
		return nil, nil, badRequest(`name the dead letters: {"ids": [...]} or {"filter": {...}}`)
	}
	limit := b.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	f := b.Filter.filter()
	f.Limit = min(limit, MaxListLimit)
	entries, err := h.opts.DeadLetters.List(r.Context(), f)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.JobID
	}
	return ids, &f, nil
}

// retryDeadLetters retries many dead letters, one by one; a failure of one does not stop the
// others, and each is reported.
func (h *Handler) retryDeadLetters(w http.ResponseWriter, r *http.Request) {
	if !h.needDLQ(w) {
		return
	}
	ids, f, err := h.bulkIDs(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	out := retryAnswer{Retried: []string{}, Errors: []itemError{}}
	for _, id := range ids {
		if err := h.opts.Client.RetryDeadLetter(r.Context(), id); err != nil {
			out.Errors = append(out.Errors, itemErr(id, err))
			continue
		}
		out.Retried = append(out.Retried, id)
	}
	if f != nil {
		if out.Remaining, err = h.opts.DeadLetters.Count(r.Context(), *f); err != nil {
			writeErr(w, err)
			return
		}
	}
	out.Success = len(out.Errors) == 0
	writeJSON(w, http.StatusOK, out)
}

// itemErr describes err for one id of a bulk request.
func itemErr(id string, err error) itemError {
	switch {
	case errors.Is(err, slaq.ErrNotFound), errors.Is(err, dlq.ErrNotFound):
		return itemError{id, CodeNotFound, err.Error()}
	case errors.Is(err, slaq.ErrInvalid):
		return itemError{id, CodeInvalidJob, err.Error()}
	}
	return itemError{id, CodeUnavailable, err.Error()}
}

type deleteAnswer struct {
	Success bool `json:"success"`
	Deleted int  `json:"deleted"`
}

func (h *Handler) deleteDeadLetter(w http.ResponseWriter, r *http.Request) {
	if !h.needDLQ(w) {
		return
	}
	id := r.PathValue("id")
	n, err := h.opts.DeadLetters.Delete(r.Context(), id)
	if err != nil {
		writeErr(w, err)
		return
	}
	if n == 0 {
		writeError(w, http.StatusNotFound, CodeNotFound, "no dead letter for job "+id)
		return
	}
	writeJSON(w, http.StatusOK, deleteAnswer{Success: true, Deleted: n})
}

func (h *Handler) deleteDeadLetters(w http.ResponseWriter, r *http.Request) {
	if !h.needDLQ(w) {
		return
	}
	ids, _, err := h.bulkIDs(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	n, err := h.opts.DeadLetters.Delete(r.Context(), ids...)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, deleteAnswer{Success: true, Deleted: n})
}

// purgeBody says which dead letters go: those that failed before Before (Unix ms), or more
// than OlderThan ago (a Go duration such as "72h").
type purgeBody struct {
	Before    int64  `json:"before"`
	OlderThan string `json:"older_than"`
}

func (h *Handler) purgeDeadLetters(w http.ResponseWriter, r *http.Request) {
	if !h.needDLQ(w) {
		return
	}
	var b purgeBody
	if err := decode(r, &b, false); err != nil {
		writeErr(w, err)
		return
	}
	before := b.Before
	switch {
	case b.Before != 0 && b.OlderThan != "":
		writeErr(w, badRequest(`give "before" or "older_than", not both`))
		return
	case b.OlderThan != "":
		d, err := time.ParseDuration(b.OlderThan)
		if err != nil || d < 0 {
			writeErr(w, badRequest(`older_than `+b.OlderThan+`: want a duration such as "72h"`))
			return
		}
		before = h.opts.Now() - d.Milliseconds()
	case b.Before <= 0:
		writeErr(w, badRequest(`say what to purge: {"older_than": "72h"} or {"before": UNIX_MS}`))
		return
	}
	n, err := h.opts.DeadLetters.Purge(r.Context(), before)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, deleteAnswer{Success: true, Deleted: n})
}
