// Package api is the fintech service's HTTP routes: the guide's backend, each route
// answering by enqueueing its work on slaq.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/slaqhq/slaq"

	"github.com/slaqhq/slaq/examples/fintech/internal/auth"
	"github.com/slaqhq/slaq/examples/fintech/internal/jobs"
	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
)

// Server holds what the routes need. Every field but Log and MaxBodyBytes is required.
type Server struct {
	Ledger  *ledger.DB
	Client  *slaq.Client
	Queue   jobs.Queue
	Workers *jobs.Workers // where reports and exports are written
	Auth    *auth.Issuer
	// CryptomusKey and NOWPaymentsSecret check the webhooks' signatures.
	CryptomusKey, NOWPaymentsSecret string
	Log                             *slog.Logger // default slog.Default()
	MaxBodyBytes                    int64        // default DefaultMaxBodyBytes
}

// Register adds the routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
	mux.HandleFunc("POST /api/auth/forgot-password", s.forgotPassword)
	mux.HandleFunc("POST /api/auth/send-otp", s.sendOTP)
	mux.Handle("POST /api/payments/process", s.guard(false, s.processPayment))
	mux.Handle("GET /api/payments/{id}", s.guard(false, s.payment))
	mux.HandleFunc("POST /api/webhooks/cryptomus", s.webhookCryptomus)
	mux.HandleFunc("POST /api/webhooks/nowpayments", s.webhookNOWPayments)
	mux.Handle("POST /api/support/contact", s.guard(false, s.contact))
	mux.Handle("POST /api/reports/transactions", s.guard(true, s.report))
	mux.Handle("GET /api/reports/transactions/{id}", s.guard(true, s.fileJobStatus(jobs.TypeReport)))
	mux.Handle("GET /api/reports/transactions/{id}/download", s.guard(true, s.download(jobs.TypeReport)))
	mux.Handle("POST /api/exports/transactions", s.guard(false, s.export))
	mux.Handle("GET /api/exports/transactions/{id}", s.guard(false, s.fileJobStatus(jobs.TypeExport)))
	mux.Handle("GET /api/exports/transactions/{id}/download", s.guard(false, s.download(jobs.TypeExport)))
}

// guard lets a request through only with a valid bearer token (and, with admin, the admin
// role), putting its user into the request's context.
func (s *Server) guard(admin bool, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := auth.Bearer(r)
		if tok == "" {
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, "missing bearer token")
			return
		}
		u, err := s.Auth.Parse(tok)
		if err != nil {
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, strings.TrimPrefix(err.Error(), "unauthorized: "))
			return
		}
		if admin && u.Role != ledger.RoleAdmin {
			writeError(w, http.StatusForbidden, CodeForbidden, "this route needs the admin role")
			return
		}
		h(w, r.WithContext(auth.WithUser(r.Context(), u)))
	})
}

// enqueueFailed answers a failed enqueue: bad input is the caller's (400), the rest is ours.
func (s *Server) enqueueFailed(w http.ResponseWriter, what string, err error) {
	if errors.Is(err, slaq.ErrInvalid) {
		invalid(w, err.Error())
		return
	}
	s.Log.Error("fintech: enqueue failed", "what", what, "err", err)
	writeError(w, http.StatusServiceUnavailable, CodeUnavailable, what+" could not be queued; try again")
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.Log.Error("fintech: "+what, "err", err)
	writeError(w, http.StatusInternalServerError, CodeInternal, what+" failed")
}
