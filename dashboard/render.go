package dashboard

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// HTMXVersion is the htmx release embedded under static/ (from the npm package htmx.org).
const HTMXVersion = "2.0.11"

// staticFiles serves the embedded assets, cached for a day (their names change with them).
func staticFiles() http.Handler {
	sub, _ := fs.Sub(staticFS, ".")
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// pageNames are the templates/NAME.html files, each parsed with the layout.
var pageNames = []string{"login", "error", "overview", "jobs", "job", "deadletters", "config", "confirm"}

// pages holds one template set per page.
type pages struct{ m map[string]*template.Template }

func parsePages() (*pages, error) {
	p := &pages{m: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard: parse %s: %w", name, err)
		}
		p.m[name] = t
	}
	return p, nil
}

// view is what the layout needs around a page's own data.
type view struct {
	Path      string // the mount path, e.g. "/dashboard/"
	Title     string
	Page      string // the template's name, for the navigation's current link
	SignedIn  bool
	Flash     flash
	Degraded  string // why the store or dead-letter queue is unreachable; "" when both answer
	HTMX      string // the htmx file's name under static/
	RefreshMs int64
	Data      any
}

// errorView is the error page's data.
type errorView struct{ Title, Text string }

// render writes page (or, with a fragment name, only that template) with data. A signed-in
// page pings the store first, so every page shows when it is unreachable.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, s *session, title string, data any) {
	h.renderTemplate(w, r, status, page, "layout", s, title, data)
}

func (h *Handler) renderTemplate(w http.ResponseWriter, r *http.Request, status int, page, name string, s *session, title string, data any) {
	v := view{Path: h.opts.Path, Title: title, Page: page, SignedIn: s != nil,
		HTMX: "htmx-" + HTMXVersion + ".min.js", RefreshMs: h.opts.RefreshInterval.Milliseconds(), Data: data}
	if s != nil {
		v.Flash = s.takeFlash()
		if name == "layout" {
			v.Degraded = h.ping(r)
		}
	}
	var buf bytes.Buffer
	if err := h.pages.m[page].ExecuteTemplate(&buf, name, v); err != nil {
		http.Error(w, "dashboard: render "+page+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

// ping returns why the store or dead-letter queue does not answer, or "".
func (h *Handler) ping(r *http.Request) string {
	ctx, cancel := h.query(r)
	defer cancel()
	if err := h.opts.Client.Ping(ctx); err != nil {
		return err.Error()
	}
	return ""
}

var funcs = template.FuncMap{
	"ms":       fmtMs,
	"ago":      agoMs,
	"when":     fmtTime,
	"pretty":   prettyJSON,
	"percent":  func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + " %" },
	"duration": durationAny,
	"itoa":     func(n int64) string { return strconv.FormatInt(n, 10) },
}

// fmtMs renders Unix milliseconds as a UTC time; 0 is "—".
func fmtMs(ms int64) string {
	if ms == 0 {
		return "—"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000")
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// agoMs renders how long ago (or, negative, how far ahead) Unix ms lies from now.
func agoMs(ms int64) string {
	if ms == 0 {
		return ""
	}
	d := time.Since(time.UnixMilli(ms))
	if d < 0 {
		return "in " + fmtDurationMs(float64(-d.Milliseconds()))
	}
	return fmtDurationMs(float64(d.Milliseconds())) + " ago"
}

// durationAny renders a count of milliseconds of any numeric type with fmtDurationMs.
func durationAny(v any) string {
	switch n := v.(type) {
	case float64:
		return fmtDurationMs(n)
	case int64:
		return fmtDurationMs(float64(n))
	case int:
		return fmtDurationMs(float64(n))
	}
	return fmt.Sprint(v)
}

// fmtDurationMs renders milliseconds for people: "0.6 ms", "12 ms", "3.2 s", "4 min".
func fmtDurationMs(ms float64) string {
	switch {
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	case ms < 60_000:
		return strconv.FormatFloat(ms/1000, 'f', 1, 64) + " s"
	case ms < 3_600_000:
		return strconv.FormatFloat(ms/60_000, 'f', 1, 64) + " min"
	default:
		return strconv.FormatFloat(ms/3_600_000, 'f', 1, 64) + " h"
	}
}

// prettyJSON indents a JSON document; anything else is shown as it is.
func prettyJSON(b []byte) string {
	if len(b) == 0 {
		return "(none)"
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}
