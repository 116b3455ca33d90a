package slaq

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Handler runs jobs. ProcessJob returns nil on success; an error fails the attempt (see
// [Permanent] and [Snooze] for errors that change what happens next). The context carries the
// job's timeout and is cancelled when the client shuts down.
type Handler interface {
	ProcessJob(ctx context.Context, job *Job) error
}

// HandlerFunc adapts a function to a [Handler].
type HandlerFunc func(ctx context.Context, job *Job) error

// ProcessJob calls f(ctx, job).
func (f HandlerFunc) ProcessJob(ctx context.Context, job *Job) error { return f(ctx, job) }

// Middleware wraps a Handler, e.g. to log, trace or recover.
type Middleware func(Handler) Handler

// ServeMux routes jobs to handlers by job type, like net/http's ServeMux routes requests by
// path. A job whose type has no handler fails permanently with [ErrUnknownType].
// The zero value is ready to use.
type ServeMux struct {
	mu       sync.RWMutex
	handlers map[string]Handler
	mw       []Middleware
}

// NewServeMux returns an empty ServeMux.
func NewServeMux() *ServeMux { return &ServeMux{} }

// Handle registers h for job type typ. It panics if typ is empty or already registered, as
// net/http does for duplicate patterns: both are programming errors found at start-up.
func (m *ServeMux) Handle(typ string, h Handler) {
	if typ == "" || h == nil {
		panic("slaq: Handle needs a job type and a handler")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.handlers[typ]; dup {
		panic(fmt.Sprintf("slaq: job type %q registered twice", typ))
	}
	if m.handlers == nil {
		m.handlers = make(map[string]Handler)
	}
	m.handlers[typ] = h
}

// HandleFunc registers f for job type typ.
func (m *ServeMux) HandleFunc(typ string, f func(ctx context.Context, job *Job) error) {
	m.Handle(typ, HandlerFunc(f))
}

// Use appends middleware; it wraps every job the mux runs, the first added outermost.
func (m *ServeMux) Use(mw ...Middleware) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mw = append(m.mw, mw...)
}

// Types returns the registered job types.
func (m *ServeMux) Types() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.handlers))
	for t := range m.handlers {
		out = append(out, t)
	}
	return out
}

// ProcessJob runs the handler registered for job.Type, through the middleware.
func (m *ServeMux) ProcessJob(ctx context.Context, job *Job) error {
	m.mu.RLock()
	h, ok := m.handlers[job.Type]
	mw := m.mw
	m.mu.RUnlock()
	if !ok {
		h = HandlerFunc(func(context.Context, *Job) error {
			return Permanent(fmt.Errorf("%w: no handler registered for job type %q", ErrUnknownType, job.Type))
		})
	}
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h.ProcessJob(ctx, job)
}

// JSONHandler adapts a function taking a decoded payload to a [Handler]: the job's payload is
// decoded into a T with encoding/json, and a payload that does not decode fails the job
// permanently (retrying cannot fix it).
func JSONHandler[T any](f func(ctx context.Context, job *Job, payload T) error) Handler {
	return HandlerFunc(func(ctx context.Context, job *Job) error {
		var p T
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			return Permanent(fmt.Errorf("decode %s payload: %w", job.Type, err))
		}
		return f(ctx, job, p)
	})
}
