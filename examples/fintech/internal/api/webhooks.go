package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/slaqhq/slaq/examples/fintech/internal/jobs"
	"github.com/slaqhq/slaq/examples/fintech/internal/webhook"
)

// webhookCryptomus: the guide's route. The signature is checked here (a bad one is a 401
// and queues nothing) and again in the job; the job is unique per payment and status, so a
// resent webhook is queued once.
func (s *Server) webhookCryptomus(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, s.MaxBodyBytes)
	if !ok {
		return
	}
	sign := r.Header.Get(webhook.CryptomusHeader)
	if err := webhook.VerifyCryptomus(body, sign, s.CryptomusKey); err != nil {
		s.webhookRefused(w, "cryptomus", err)
		return
	}
	n, err := webhook.ParseCryptomus(body)
	if err != nil {
		s.webhookRefused(w, "cryptomus", err)
		return
	}
	s.queueWebhook(w, r, jobs.TypeWebhookCryptomus, n, jobs.Webhook{Body: string(body), Sign: sign})
}

// webhookNOWPayments: the IPN route, checked with the IPN secret (x-nowpayments-sig).
func (s *Server) webhookNOWPayments(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, s.MaxBodyBytes)
	if !ok {
		return
	}
	sig := r.Header.Get(webhook.NOWPaymentsHeader)
	if err := webhook.VerifyNOWPayments(body, sig, s.NOWPaymentsSecret); err != nil {
		s.webhookRefused(w, "nowpayments", err)
		return
	}
	n, err := webhook.ParseNOWPayments(body)
	if err != nil {
		s.webhookRefused(w, "nowpayments", err)
		return
	}
	s.queueWebhook(w, r, jobs.TypeWebhookNOWPayments, n, jobs.Webhook{Body: string(body), Sign: sig})
}

func (s *Server) webhookRefused(w http.ResponseWriter, provider string, err error) {
	s.Log.Warn("fintech: webhook refused", "provider", provider, "err", err)
	if errors.Is(err, webhook.ErrBadSignature) {
		writeError(w, http.StatusUnauthorized, CodeBadSignature, err.Error())
		return
	}
	writeError(w, http.StatusBadRequest, CodeInvalidJSON, strings.TrimPrefix(err.Error(), "bad webhook body: "))
}

func (s *Server) queueWebhook(w http.ResponseWriter, r *http.Request, typ string, n webhook.Notification, p jobs.Webhook) {
	if _, err := s.Queue.Webhook(r.Context(), typ, p, n.Provider+":"+n.PaymentID+":"+n.Status); err != nil {
		s.enqueueFailed(w, "the webhook", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}
