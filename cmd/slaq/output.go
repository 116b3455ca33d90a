package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// printJSON writes an API answer indented.
func printJSON(w io.Writer, raw []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		_, err = w.Write(raw)
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// table writes rows aligned in columns; the first row is the header.
func table(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// fmtTime renders Unix ms as local time, "-" for 0.
func fmtTime(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).Format("2006-01-02 15:04:05.000")
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress draws a bar of done/total on a terminal, and otherwise prints a line at each
// tenth of the way, so long work shows it is moving.
type progress struct {
	w       io.Writer
	tty     bool
	label   string
	total   int
	done    int
	lastPct int
}

// progressBarWidth is the bar's width in characters.
const progressBarWidth = 30

func newProgress(w io.Writer, label string, total int) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && isTerminal(f), label: label, total: total, lastPct: -1}
}

// add records n more done items and redraws.
func (p *progress) add(n int) {
	p.done += n
	total := max(p.total, p.done, 1)
	pct := p.done * 100 / total
	if p.tty {
		fill := p.done * progressBarWidth / total
		fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %3d%%", p.label, strings.Repeat("=", fill), strings.Repeat(" ", progressBarWidth-fill), p.done, total, pct)
		return
	}
	if pct/10 != p.lastPct/10 || p.done == total {
		fmt.Fprintf(p.w, "%s: %d/%d (%d%%)\n", p.label, p.done, total, pct)
		p.lastPct = pct
	}
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}
