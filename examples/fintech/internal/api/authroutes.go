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
	"time"

	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
)

// Lifetimes of the one-time codes.
const (
	ResetTokenTTL = time.Hour        // a password-reset link
	OTPTTL        = 10 * time.Minute // a one-time sign-in code
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

// forgotPassword: the guide's route. It finds the user, stores a hashed reset token, and
// queues the email (CRITICAL); when the queue does not answer, slaq sends it directly.
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
	if err := s.Ledger.SaveCode(ctx, u.Email, ledger.CodeReset, token, ResetTokenTTL); err != nil {
		s.internal(w, "reset token", err)
		return
	}
	if _, err := s.Queue.SendPasswordReset(ctx, u.Email, token); err != nil {
		s.enqueueFailed(w, "the reset email", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Reset email sent"})
}

// sendOTP: the guide's route. It stores a hashed six-digit code and queues its email
// (CRITICAL; sent directly when the queue does not answer).
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
	ctx := r.Context()
	if err := s.Ledger.SaveCode(ctx, email, ledger.CodeOTP, code, OTPTTL); err != nil {
		s.internal(w, "code", err)
		return
	}
	if _, err := s.Queue.SendOTP(ctx, email, code); err != nil {
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
