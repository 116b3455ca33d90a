package api

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/mail"
	"strings"

	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
)

type emailBody struct {
	Email string `json:"email"`
}

// checkEmail returns the normalised address, or a message saying what is wrong with it.
func checkEmail(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", `"email" is required`
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", `"email" is not an email address`
	}
	return strings.ToLower(s), ""
}

// forgotPassword: the guide's route. It finds the user, makes a reset token and queues the
// email (CRITICAL), which stores the token's hash and sends the link; when the queue does not
// answer, slaq runs that job directly. The request itself writes nothing but the job.
func (s *Server) forgotPassword(w http.ResponseWriter, r *http.Request) {
	var b emailBody
	if !decode(w, r, s.MaxBodyBytes, &b) {
		return
	}
	email, bad := checkEmail(b.Email)
	if bad != "" {
		invalid(w, bad)
		return
	}
	ctx := r.Context()
	u, err := s.Ledger.UserByEmail(ctx, email)
	if errors.Is(err, ledger.ErrNotFound) {
		writeError(w, http.StatusNotFound, CodeNotFound, "User not found")
		return
	}
	if err != nil {
		s.internal(w, "user lookup", err)
		return
	}
	token, err := randomToken()
	if err != nil {
		s.internal(w, "reset token", err)
		return
	}
	if _, err := s.Queue.SendPasswordReset(ctx, u.Email, token); err != nil {
		s.enqueueFailed(w, "the reset email", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Reset email sent"})
}

// sendOTP: the guide's route. It makes a six-digit code and queues its job (CRITICAL; run
// directly when the queue does not answer), which stores the code's hash and sends it.
func (s *Server) sendOTP(w http.ResponseWriter, r *http.Request) {
	var b emailBody
	if !decode(w, r, s.MaxBodyBytes, &b) {
		return
	}
	email, bad := checkEmail(b.Email)
	if bad != "" {
		invalid(w, bad)
		return
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		s.internal(w, "code", err)
		return
	}
	code := fmt.Sprintf("%06d", n.Int64())
	if _, err := s.Queue.SendOTP(r.Context(), email, code); err != nil {
		s.enqueueFailed(w, "the code email", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "OTP sent"})
}

func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
