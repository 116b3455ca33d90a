package jobs

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/slaqhq/slaq"

	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
	"github.com/slaqhq/slaq/examples/fintech/internal/mail"
)

// DateLayout is the layout of the dates reports and exports take.
const DateLayout = "2006-01-02"

// midwayRows is after how many rows a report or export calls Workers.Midway.
const midwayRows = 1

// FilePath returns where the CSV of report or export job id is written.
func (w *Workers) FilePath(id string) string { return filepath.Join(w.Files, id+".csv") }

// DownloadURL returns the link to a report's or export's CSV.
func (w *Workers) DownloadURL(typ, id string) string {
	route := "/api/exports/transactions/"
	if typ == TypeReport {
		route = "/api/reports/transactions/"
	}
	return w.BaseURL + route + id + "/download"
}

// DayRange turns [from, to] dates (both included, UTC) into [From, To) Unix ms; an empty
// date leaves that bound open.
func DayRange(from, to string) (int64, int64, error) {
	var f, t int64
	if from != "" {
		d, err := time.Parse(DateLayout, from)
		if err != nil {
			return 0, 0, fmt.Errorf("date %q: want YYYY-MM-DD", from)
		}
		f = d.UnixMilli()
	}
	if to != "" {
		d, err := time.Parse(DateLayout, to)
		if err != nil {
			return 0, 0, fmt.Errorf("date %q: want YYYY-MM-DD", to)
		}
		t = d.AddDate(0, 0, 1).UnixMilli()
	}
	if f != 0 && t != 0 && t <= f {
		return 0, 0, errors.New("the end date is before the start date")
	}
	return f, t, nil
}

func (w *Workers) report(ctx context.Context, j *slaq.Job, p Report) error {
	from, to, err := DayRange(p.StartDate, p.EndDate)
	if err != nil {
		return slaq.Permanent(err)
	}
	title := fmt.Sprintf("Transactions report %s to %s", p.StartDate, p.EndDate)
	return w.writeCSV(ctx, j, p.UserID, title, ledger.Filter{From: from, To: to})
}

func (w *Workers) export(ctx context.Context, j *slaq.Job, p Export) error {
	from, to, err := DayRange(p.Filters.From, p.Filters.To)
	if err != nil {
		return slaq.Permanent(err)
	}
	return w.writeCSV(ctx, j, p.UserID, "Your transactions export",
		ledger.Filter{UserID: p.UserID, Status: p.Filters.Status, Currency: p.Filters.Currency, From: from, To: to})
}

// writeCSV streams the matching transactions into the job's CSV file (written aside and
// renamed, so a download never sees half a file), keeps the file's link as the job's
// result, and emails the link to the user.
func (w *Workers) writeCSV(ctx context.Context, j *slaq.Job, userID int64, title string, f ledger.Filter) error {
	var to string // no user (the admin API's development test report): no email, the link is the result
	if userID != 0 {
		u, err := w.Ledger.UserByID(ctx, userID)
		if err != nil {
			return permanentIfNotFound(err)
		}
		to = u.Email
	}
	if err := os.MkdirAll(w.Files, 0o755); err != nil {
		return fmt.Errorf("files folder: %w", err)
	}
	path := w.FilePath(j.ID)
	tmp, err := os.CreateTemp(w.Files, j.ID+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	cw := csv.NewWriter(tmp)
	_ = cw.Write([]string{"id", "user_id", "kind", "amount", "currency", "method", "status", "provider", "provider_payment_id", "created_at", "updated_at"})
	rows := 0
	err = w.Ledger.EachTransaction(ctx, f, func(t ledger.Transaction) error {
		rows++
		if rows == midwayRows {
			w.midway(ctx, j)
		}
		return cw.Write([]string{t.ID, strconv.FormatInt(t.UserID, 10), t.Kind, FormatAmount(t.AmountMinor), t.Currency, t.Method,
			t.Status, t.Provider, t.ProviderID, time.UnixMilli(t.CreatedAt).UTC().Format(time.RFC3339), time.UnixMilli(t.UpdatedAt).UTC().Format(time.RFC3339)})
	})
	if rows == 0 {
		w.midway(ctx, j)
	}
	cw.Flush()
	err = errors.Join(err, cw.Error(), tmp.Sync(), tmp.Close())
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	link := w.DownloadURL(j.Type, j.ID)
	j.Result, _ = json.Marshal(FileResult{File: filepath.Base(path), URL: link, Rows: rows})
	w.audit(ctx, "info", fmt.Sprintf("%s %s: %d rows", j.Type, j.ID, rows))
	if to == "" {
		return nil
	}
	return w.send(ctx, mail.Message{To: to, Subject: title + " is ready",
		Text: fmt.Sprintf("%s is ready (%d transactions).\n\nDownload it (sign in first):\n%s\n", title, rows, link)})
}

// cleanup deletes log rows older than Days in batches, so it never holds the ledger's
// write lock for long, and stops between batches when its context ends.
func (w *Workers) cleanup(ctx context.Context, j *slaq.Job, p Cleanup) error {
	if p.Days < 1 {
		return slaq.Permanent(fmt.Errorf("days %d: want at least 1", p.Days))
	}
	before := w.Now().AddDate(0, 0, -p.Days).UnixMilli()
	var total int64
	for first := true; ; first = false {
		n, err := w.Ledger.DeleteLogsBefore(ctx, before, w.CleanupBatch)
		if err != nil {
			return err
		}
		total += n
		if first {
			w.midway(ctx, j)
		}
		if n < int64(w.CleanupBatch) {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	j.Result, _ = json.Marshal(map[string]int64{"deleted": total})
	w.Log.Info("fintech: old logs deleted", "days", p.Days, "deleted", total)
	return nil
}
