package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/slaqhq/slaq/examples/fintech/internal/auth"
	"github.com/slaqhq/slaq/examples/fintech/internal/jobs"
	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
)

var currencyRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)

type paymentBody struct {
	Amount   json.RawMessage `json:"amount"` // a number or a decimal string
	Currency string          `json:"currency"`
	Method   string          `json:"method"`
}

// processPayment: the guide's route. The transaction row (pending) and its HIGH job are
// written in one SQL transaction (slaq's EnqueueTx): both exist, or neither.
func (s *Server) processPayment(w http.ResponseWriter, r *http.Request) {
	var b paymentBody
	if !decode(w, r, s.MaxBodyBytes, &b) {
		return
	}
	amount, bad := parseAmountField(b.Amount)
	if bad != "" {
		invalid(w, bad)
		return
	}
	cur := strings.ToUpper(strings.TrimSpace(b.Currency))
	if !currencyRE.MatchString(cur) {
		invalid(w, `"currency" is required: a currency code such as USD or USDT`)
		return
	}
	if !slices.Contains(jobs.Methods, b.Method) {
		invalid(w, `"method" must be one of `+strings.Join(jobs.Methods, ", "))
		return
	}
	u, _ := auth.FromContext(r.Context())
	ctx := r.Context()
	if _, err := s.Ledger.UserByID(ctx, u.ID); err != nil {
		if errors.Is(err, ledger.ErrNotFound) {
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, "the token's user does not exist")
			return
		}
		s.internal(w, "user lookup", err)
		return
	}
	var jobID string
	t, err := s.Ledger.CreatePayment(ctx, ledger.NewPayment{UserID: u.ID, AmountMinor: amount, Currency: cur, Method: b.Method},
		func(tx *sql.Tx, t ledger.Transaction) error {
			var err error
			jobID, err = s.Queue.ProcessPayment(ctx, tx, jobs.Payment{TransactionID: t.ID, UserID: u.ID, AmountMinor: amount,
				Currency: cur, Method: b.Method})
			return err
		})
	if err != nil {
		s.internal(w, "payment", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "transactionId": t.ID, "jobId": jobID,
		"message": "Payment processing started"})
}

func parseAmountField(raw json.RawMessage) (int64, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, `"amount" is required`
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, `"amount" must be a number`
		}
	} else {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return 0, `"amount" must be a number`
		}
		s = n.String()
	}
	v, err := jobs.ParseAmount(s)
	if err != nil {
		return 0, `"amount": ` + err.Error()
	}
	return v, ""
}

// payment answers a transaction's state, to its owner (or an admin).
func (s *Server) payment(w http.ResponseWriter, r *http.Request) {
	t, ok := s.ownTransaction(w, r.Context(), r.PathValue("id"))
	if !ok {
		return
	}
	out := map[string]any{"success": true, "transaction": t, "amount": jobs.FormatAmount(t.AmountMinor)}
	if bal, err := s.Ledger.Balance(r.Context(), t.UserID, t.Currency); err == nil {
		out["walletBalance"] = jobs.FormatAmount(bal)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) ownTransaction(w http.ResponseWriter, ctx context.Context, id string) (ledger.Transaction, bool) {
	u, _ := auth.FromContext(ctx)
	t, err := s.Ledger.Transaction(ctx, id)
	if errors.Is(err, ledger.ErrNotFound) || (err == nil && t.UserID != u.ID && u.Role != ledger.RoleAdmin) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such transaction")
		return ledger.Transaction{}, false
	}
	if err != nil {
		s.internal(w, "transaction lookup", err)
		return ledger.Transaction{}, false
	}
	return t, true
}
