package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"

	"github.com/slaqhq/slaq/examples/fintech/internal/auth"
	"github.com/slaqhq/slaq/examples/fintech/internal/jobs"
	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
)

type reportBody struct {
	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate"`
	Format    string `json:"format"`
}

// report: the guide's admin route; the report is a LOW job (up to 10 min) whose CSV link is
// emailed, and whose status GET /api/reports/transactions/{jobId} answers.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	var b reportBody
	if !decode(w, r, s.MaxBodyBytes, &b) {
		return
	}
	if b.StartDate == "" || b.EndDate == "" {
		invalid(w, `"startDate" and "endDate" are required (YYYY-MM-DD)`)
		return
	}
	if _, _, err := jobs.DayRange(b.StartDate, b.EndDate); err != nil {
		invalid(w, err.Error())
		return
	}
	if b.Format == "" {
		b.Format = "csv"
	}
	if b.Format != "csv" {
		invalid(w, `"format" must be "csv"`)
		return
	}
	u, _ := auth.FromContext(r.Context())
	id, err := s.Queue.GenerateReport(r.Context(), jobs.Report{UserID: u.ID, StartDate: b.StartDate, EndDate: b.EndDate, Format: b.Format})
	if err != nil {
		s.enqueueFailed(w, "the report", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "jobId": id, "message": "Report generation started"})
}

type exportBody struct {
	Filters *jobs.ExportFilters `json:"filters"`
}

var statuses = []string{ledger.StatusPending, ledger.StatusProcessing, ledger.StatusCompleted, ledger.StatusFailed}

// export: the guide's route; the caller's own transactions, as a LOW job.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	var b exportBody
	if !decode(w, r, s.MaxBodyBytes, &b) {
		return
	}
	var f jobs.ExportFilters
	if b.Filters != nil {
		f = *b.Filters
	}
	if f.Status != "" && !slices.Contains(statuses, f.Status) {
		invalid(w, `"filters.status" must be pending, processing, completed or failed`)
		return
	}
	if f.Currency != "" && !currencyRE.MatchString(f.Currency) {
		invalid(w, `"filters.currency" must be a currency code such as USD`)
		return
	}
	if _, _, err := jobs.DayRange(f.From, f.To); err != nil {
		invalid(w, "filters: "+err.Error())
		return
	}
	u, _ := auth.FromContext(r.Context())
	id, err := s.Queue.ExportTransactions(r.Context(), jobs.Export{UserID: u.ID, Filters: f})
	if err != nil {
		s.enqueueFailed(w, "the export", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "jobId": id,
		"message": "Export started. You will receive an email when ready."})
}

// fileJob returns the report or export job id of type typ that the caller may see, or
// writes a 404.
func (s *Server) fileJob(w http.ResponseWriter, r *http.Request, typ string) (*slaq.Job, bool) {
	u, _ := auth.FromContext(r.Context())
	j, err := s.Client.Job(r.Context(), r.PathValue("id"))
	if err != nil && !errors.Is(err, slaq.ErrNotFound) && !errors.Is(err, slaq.ErrInvalid) {
		s.internal(w, "job lookup", err)
		return nil, false
	}
	var owner struct {
		UserID int64 `json:"userId"`
	}
	if err != nil || j.Type != typ || json.Unmarshal(j.Payload, &owner) != nil || (owner.UserID != u.ID && u.Role != ledger.RoleAdmin) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such job")
		return nil, false
	}
	return j, true
}

// fileJobStatus answers the job status a client polls for a report or an export.
func (s *Server) fileJobStatus(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		j, ok := s.fileJob(w, r, typ)
		if !ok {
			return
		}
		out := map[string]any{"success": true, "jobId": j.ID, "type": j.Type, "state": j.State, "attempts": j.Attempts,
			"maxAttempts": j.MaxAttempts, "createdAt": j.CreatedAt, "startedAt": j.StartedAt, "finishedAt": j.FinishedAt}
		if j.LastError != "" {
			out["error"] = j.LastError
		}
		if len(j.Result) > 0 {
			out["result"] = json.RawMessage(j.Result)
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// download serves a finished report's or export's CSV.
func (s *Server) download(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		j, ok := s.fileJob(w, r, typ)
		if !ok {
			return
		}
		if j.State != store.StateCompleted {
			writeError(w, http.StatusConflict, CodeNotReady, "the file is not ready: the job is "+string(j.State))
			return
		}
		f, err := os.Open(s.Workers.FilePath(j.ID))
		if errors.Is(err, os.ErrNotExist) {
			writeError(w, http.StatusNotFound, CodeNotFound, "the file is gone")
			return
		}
		if err != nil {
			s.internal(w, "file", err)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+j.ID+`.csv"`)
		http.ServeContent(w, r, j.ID+".csv", timeOf(f), f)
	}
}

func timeOf(f *os.File) (t time.Time) {
	if st, err := f.Stat(); err == nil {
		t = st.ModTime()
	}
	return t
}
