package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/slaqhq/slaq"
)

// ErrNotCancellable is wrapped by a cancel of a job that is neither waiting nor delayed; the
// API answers 409 not_cancellable. It is slaq.ErrNotCancellable.
var ErrNotCancellable = slaq.ErrNotCancellable

// jobView is a job as the API shows it. Times are Unix ms; 0 means not yet.
type jobView struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Tier        string          `json:"tier"`
	Priority    int             `json:"priority"`
	State       slaq.State      `json:"state"`
	Payload     json.RawMessage `json:"payload"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"max_attempts"`
	TimeoutMs   int64           `json:"timeout_ms"`
	BackoffMs   int64           `json:"backoff_ms"`
	RunAt       int64           `json:"run_at"`
	CreatedAt   int64           `json:"created_at"`
	StartedAt   int64           `json:"started_at"`
	FinishedAt  int64           `json:"finished_at"`
	LeaseUntil  int64           `json:"lease_until"`
	LastError   string          `json:"last_error"`
	UniqueKey   string          `json:"unique_key"`
	Result      json.RawMessage `json:"result"`
}

// viewJob shows j with its sensitive payload and result fields redacted (slaq.Client.Redact).
func (h *Handler) viewJob(j *slaq.Job) jobView {
	j = h.opts.Client.RedactJob(j)
	return jobView{
		ID: j.ID, Type: j.Type, Tier: j.Tier.String(), Priority: int(j.Tier), State: j.State,
		Payload: rawOrNull(j.Payload), Attempts: j.Attempts, MaxAttempts: j.MaxAttempts,
		TimeoutMs: j.TimeoutMs, BackoffMs: j.BackoffMs, RunAt: j.RunAt, CreatedAt: j.CreatedAt,
		StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, LeaseUntil: j.LeaseUntil,
		LastError: j.LastError, UniqueKey: j.UniqueKey, Result: rawOrNull(j.Result),
	}
}

// rawOrNull returns b as JSON: itself when it is valid JSON, null when empty, else a string.
func rawOrNull(b []byte) json.RawMessage {
	switch {
	case len(b) == 0:
		return json.RawMessage("null")
	case json.Valid(b):
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

type jobAnswer struct {
	Success bool    `json:"success"`
	Job     jobView `json:"job"`
}

func (h *Handler) job(w http.ResponseWriter, r *http.Request) {
	j, err := h.opts.Client.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, jobAnswer{Success: true, Job: h.viewJob(j)})
}

type listAnswer struct {
	Success bool      `json:"success"`
	Jobs    []jobView `json:"jobs"`
	Next    string    `json:"next"` // cursor of the next page; "" on the last
}

// states are the job states a listing may ask for.
var states = []slaq.State{"waiting", "delayed", "active", "completed", "failed"}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("tier") == "" {
		writeErr(w, fail(http.StatusBadRequest, CodeUnknownTier, "query parameter tier is required (a name or 1-5)"))
		return
	}
	t, err := parseTier(q.Get("tier"))
	if err != nil {
		writeErr(w, err)
		return
	}
	state := slaq.State(strings.ToLower(strings.TrimSpace(q.Get("state"))))
	if state == "" {
		state = "waiting"
	}
	ok := false
	for _, s := range states {
		ok = ok || s == state
	}
	if !ok {
		writeErr(w, badRequest("query parameter state="+q.Get("state")+": want waiting, delayed, active, completed or failed"))
		return
	}
	limit, err := limitParam(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	page, err := h.opts.Client.List(r.Context(), slaq.ListRequest{Tier: t, State: state, Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		writeErr(w, err)
		return
	}
	out := listAnswer{Success: true, Jobs: make([]jobView, len(page.Jobs)), Next: page.Next}
	for i, j := range page.Jobs {
		out.Jobs[i] = h.viewJob(j)
	}
	writeJSON(w, http.StatusOK, out)
}

type cancelAnswer struct {
	Success  bool   `json:"success"`
	ID       string `json:"id"`
	Canceled bool   `json:"canceled"`
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := h.opts.Client.Cancel(r.Context(), id); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, cancelAnswer{Success: true, ID: id, Canceled: true})
}

// enqueueBody is the body of POST /api/jobs. The tier is "priority" (the guide's word) or
// "tier"; default: the job type's tier, else MEDIUM.
type enqueueBody struct {
	Type           string          `json:"type"`
	Priority       tierRef         `json:"priority"`
	Tier           tierRef         `json:"tier"`
	Payload        json.RawMessage `json:"payload"`
	IdempotencyKey string          `json:"idempotency_key"`
	Options        enqueueOptions  `json:"options"`
}

// enqueueOptions are the per-job options; zero means the type's or the tier's default.
type enqueueOptions struct {
	DelayMs     int64  `json:"delay_ms"`      // runnable this long from now
	RunAt       int64  `json:"run_at"`        // runnable at this Unix ms time
	TimeoutMs   int64  `json:"timeout_ms"`    // bound on one run
	Attempts    int    `json:"attempts"`      // total runs allowed
	BackoffMs   *int64 `json:"backoff_ms"`    // delay before the first retry; 0 retries at once
	RetentionMs *int64 `json:"retention_ms"`  // how long the completed job stays readable; 0 deletes it at once
	UniqueTTLMs int64  `json:"unique_ttl_ms"` // how long the idempotency key holds; default 24 h
}

type enqueueAnswer struct {
	Success   bool   `json:"success"`
	ID        string `json:"id"`
	Tier      string `json:"tier"`
	Duplicate bool   `json:"duplicate"`         // nothing stored: id names the job holding the idempotency key
	Spooled   bool   `json:"spooled,omitempty"` // the store did not answer; the job waits in the local spool
	Direct    bool   `json:"direct,omitempty"`  // the store did not answer; the job ran in the server at once
}

func (h *Handler) enqueue(w http.ResponseWriter, r *http.Request) {
	var b enqueueBody
	if err := decode(r, &b, false); err != nil {
		writeErr(w, err)
		return
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if b.IdempotencyKey != "" && b.IdempotencyKey != key {
			writeErr(w, badRequest("the Idempotency-Key header and idempotency_key differ"))
			return
		}
		b.IdempotencyKey = key
	}
	opts, err := h.enqueueOpts(b)
	if err != nil {
		writeErr(w, err)
		return
	}
	payload := []byte(b.Payload)
	if len(payload) == 0 {
		payload = []byte("null")
	}
	sub, err := h.opts.Client.Submit(r.Context(), b.Type, payload, opts...)
	if err != nil {
		writeErr(w, err)
		return
	}
	// A duplicate answers 201 too, as a replay of the first answer, with duplicate set.
	writeJSON(w, http.StatusCreated, enqueueAnswer{Success: true, ID: sub.ID, Tier: sub.Tier.String(),
		Duplicate: sub.Duplicate, Spooled: sub.Spooled, Direct: sub.Direct})
}

// enqueueOpts checks b and turns it into enqueue options.
func (h *Handler) enqueueOpts(b enqueueBody) ([]slaq.Option, error) {
	if strings.TrimSpace(b.Type) == "" {
		return nil, fail(http.StatusBadRequest, CodeInvalidJob, `"type" is required, e.g. "send_email"`)
	}
	if h.jobTypes != nil && !h.jobTypes[b.Type] {
		return nil, fail(http.StatusBadRequest, CodeUnknownJobType, "unknown job type "+b.Type+": this server declares no such type")
	}
	if len(b.Payload) > h.opts.MaxPayloadBytes {
		return nil, fail(http.StatusRequestEntityTooLarge, CodeTooLarge,
			"payload is "+itoa(int64(len(b.Payload)))+" bytes, over the limit of "+itoa(int64(h.opts.MaxPayloadBytes)))
	}
	tb := tierBody{Priority: b.Priority, Tier: b.Tier}
	var opts []slaq.Option
	if tb.Priority.set || tb.Tier.set {
		t, err := tb.tier()
		if err != nil {
			return nil, err
		}
		opts = append(opts, slaq.WithTier(t))
	}
	o := b.Options
	neg := func(name string, v int64) error {
		if v < 0 {
			return fail(http.StatusBadRequest, CodeInvalidJob, "options."+name+" must not be negative")
		}
		return nil
	}
	for _, c := range []struct {
		name string
		v    int64
	}{{"delay_ms", o.DelayMs}, {"run_at", o.RunAt}, {"timeout_ms", o.TimeoutMs}, {"attempts", int64(o.Attempts)}, {"unique_ttl_ms", o.UniqueTTLMs}} {
		if err := neg(c.name, c.v); err != nil {
			return nil, err
		}
	}
	if o.DelayMs > 0 && o.RunAt > 0 {
		return nil, fail(http.StatusBadRequest, CodeInvalidJob, "give options.delay_ms or options.run_at, not both")
	}
	if o.DelayMs > 0 {
		opts = append(opts, slaq.Delay(time.Duration(o.DelayMs)*time.Millisecond))
	}
	if o.RunAt > 0 {
		opts = append(opts, slaq.RunAt(time.UnixMilli(o.RunAt)))
	}
	if o.TimeoutMs > 0 {
		opts = append(opts, slaq.Timeout(time.Duration(o.TimeoutMs)*time.Millisecond))
	}
	if o.Attempts > 0 {
		opts = append(opts, slaq.MaxAttempts(o.Attempts))
	}
	if o.BackoffMs != nil {
		if err := neg("backoff_ms", *o.BackoffMs); err != nil {
			return nil, err
		}
		opts = append(opts, slaq.Backoff(msOrNone(*o.BackoffMs)))
	}
	if o.RetentionMs != nil {
		if err := neg("retention_ms", *o.RetentionMs); err != nil {
			return nil, err
		}
		opts = append(opts, slaq.Retention(msOrNone(*o.RetentionMs)))
	}
	if b.IdempotencyKey != "" {
		opts = append(opts, slaq.Unique(b.IdempotencyKey, time.Duration(o.UniqueTTLMs)*time.Millisecond))
	} else if o.UniqueTTLMs > 0 {
		return nil, fail(http.StatusBadRequest, CodeInvalidJob, "options.unique_ttl_ms needs an idempotency_key")
	}
	return opts, nil
}

// msOrNone turns an explicit millisecond count from the API into a duration option's value:
// an explicit 0 means zero itself (retry at once, delete at once), which the Go API spells
// slaq.None.
func msOrNone(ms int64) time.Duration {
	if ms == 0 {
		return slaq.None
	}
	return time.Duration(ms) * time.Millisecond
}
