package admin

import (
	"net/http"
	"strings"

	"github.com/slaqhq/slaq"
)

// otpBody is the guide's test body for POST /api/jobs/test/otp.
type otpBody struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

// reportBody is the optional body of POST /api/jobs/test/report.
type reportBody struct {
	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate"`
	Format    string `json:"format"`
}

type testAnswer struct {
	Success bool   `json:"success"`
	ID      string `json:"id"`
	Type    string `json:"type"`
	Tier    string `json:"tier"`
	Message string `json:"message"`
}

// testOTP enqueues the guide's CRITICAL test job (development only).
func (h *Handler) testOTP(w http.ResponseWriter, r *http.Request) {
	b := otpBody{Email: "test@example.com", Code: "123456"}
	if err := decode(r, &b, true); err != nil {
		writeErr(w, err)
		return
	}
	if !strings.Contains(b.Email, "@") {
		writeErr(w, fail(http.StatusBadRequest, CodeInvalidJob, "email "+b.Email+" is not an email address"))
		return
	}
	h.testJob(w, r, TestOTPType, slaq.Critical, b)
}

// testReport enqueues the guide's LOW test job (development only).
func (h *Handler) testReport(w http.ResponseWriter, r *http.Request) {
	b := reportBody{Format: "csv"}
	if err := decode(r, &b, true); err != nil {
		writeErr(w, err)
		return
	}
	h.testJob(w, r, TestReportType, slaq.Low, b)
}

func (h *Handler) testJob(w http.ResponseWriter, r *http.Request, typ string, t slaq.Tier, payload any) {
	id, err := h.opts.Client.Enqueue(r.Context(), typ, payload, slaq.WithTier(t))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, testAnswer{Success: true, ID: id, Type: typ, Tier: t.String(),
		Message: "queued; follow it with GET /api/jobs/" + id})
}
