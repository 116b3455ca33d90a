package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
)

// devHandlers runs the guide's test jobs in development, so that a newcomer who calls
// POST /api/jobs/test/otp or /test/report sees the job complete (GET /api/jobs/{id}) and a
// log line say what it did. Jobs of other types fail as unknown types, into the dead-letter
// queue: run the server with workers off when an application's workers share the store.
func devHandlers(log *slog.Logger) *slaq.ServeMux {
	mux := slaq.NewServeMux()
	mux.HandleFunc(admin.TestOTPType, func(_ context.Context, j *slaq.Job) error {
		var p struct{ Email, Code string }
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.Email == "" {
			return slaq.Permanent(errors.New(`send_otp needs {"email", "code"}`)) // not the payload: it holds the code
		}
		log.Info("development: OTP email sent (not really)", "job", j.ID, "email", p.Email) // never the code: it is a secret
		j.Result, _ = json.Marshal(map[string]string{"delivered_to": p.Email})
		return nil
	})
	mux.HandleFunc(admin.TestReportType, func(_ context.Context, j *slaq.Job) error {
		var p struct{ StartDate, EndDate, Format string }
		_ = json.Unmarshal(j.Payload, &p)
		log.Info("development: report generated (an empty one)", "job", j.ID, "format", p.Format)
		j.Result, _ = json.Marshal(map[string]any{"rows": 0, "format": p.Format})
		return nil
	})
	return mux
}
