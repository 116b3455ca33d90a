package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// DefaultProbeTimeout bounds each check of /readyz: 2 s.
const DefaultProbeTimeout = 2 * time.Second

// check is one dependency's answer in /readyz.
type check struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Latency int64  `json:"latency_ms"`
}

type readiness struct {
	Status      string `json:"status"` // "ready", "degraded" (a dependency does not answer) or "stopping"
	Store       check  `json:"store"`
	DeadLetters check  `json:"dead_letters"`
	// Degraded: the client's latest store call failed or its spool holds jobs (Client.Degraded).
	Degraded bool `json:"degraded"`
}

// healthz answers 200 while the process is up, even while it stops.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"ok"}` + "\n")) //nolint:errcheck // the client went away
}

// readyz answers 200 when the store and the dead-letter database answer, 503 with the
// failing one ("degraded") or while the server stops ("stopping").
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	var out readiness
	out.Store = probe(r.Context(), s.backend.Store.Ping)
	out.DeadLetters = probe(r.Context(), s.backend.DeadLetters.Ping)
	out.Degraded = s.client.Degraded() || !out.Store.OK
	status := http.StatusOK
	out.Status = "ready"
	switch {
	case s.stopping.Load():
		out.Status, status = "stopping", http.StatusServiceUnavailable
	case !out.Store.OK || !out.DeadLetters.OK:
		out.Status, status = "degraded", http.StatusServiceUnavailable
	}
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n')) //nolint:errcheck // the client went away
}

func probe(ctx context.Context, f func(context.Context) error) check {
	ctx, cancel := context.WithTimeout(ctx, DefaultProbeTimeout)
	defer cancel()
	start := time.Now()
	err := f(ctx)
	c := check{OK: err == nil, Latency: time.Since(start).Milliseconds()}
	if err != nil {
		c.Error = err.Error()
	}
	return c
}
