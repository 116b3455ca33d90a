package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/slaqhq/slaq/examples/fintech/internal/auth"
	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
)

// Limits of the support form.
const (
	MaxSubjectBytes = 200
	MaxMessageBytes = 10_000
)

type contactBody struct {
	Subject string `json:"subject"`
	Message string `json:"message"`
}

// contact: the guide's route; the message is queued as an email to support (MEDIUM, 50/min).
func (s *Server) contact(w http.ResponseWriter, r *http.Request) {
	var b contactBody
	if !decode(w, r, s.MaxBodyBytes, &b) {
		return
	}
	b.Subject, b.Message = strings.TrimSpace(b.Subject), strings.TrimSpace(b.Message)
	switch {
	case b.Subject == "":
		invalid(w, `"subject" is required`)
		return
	case b.Message == "":
		invalid(w, `"message" is required`)
		return
	case len(b.Subject) > MaxSubjectBytes || strings.ContainsAny(b.Subject, "\r\n"):
		invalid(w, fmt.Sprintf(`"subject" must be one line of at most %d bytes`, MaxSubjectBytes))
		return
	case len(b.Message) > MaxMessageBytes:
		invalid(w, fmt.Sprintf(`"message" must be at most %d bytes`, MaxMessageBytes))
		return
	}
	u, _ := auth.FromContext(r.Context())
	from := fmt.Sprintf("user %d", u.ID)
	if usr, err := s.Ledger.UserByID(r.Context(), u.ID); err == nil {
		from += " <" + usr.Email + ">"
	} else if !errors.Is(err, ledger.ErrNotFound) {
		s.internal(w, "user lookup", err)
		return
	}
	if _, err := s.Queue.SendEmail(r.Context(), s.Workers.SupportAddress, "Support: "+b.Subject, "From: "+from+"\n\n"+b.Message); err != nil {
		s.enqueueFailed(w, "the support request", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Support request sent"})
}
