package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// Ratio is one metric of a set of runs divided by the same metric of another set.
type Ratio struct {
	Metric string `json:"metric"`
	// OfMedians is the median of the first set over the median of the second.
	OfMedians float64 `json:"of_medians"`
	// Pairs is the ratio run by run, the k-th run of one set over the k-th of the other (runs
	// interleaved in rounds, so each pair ran side by side): median [min–max]. Nil when the
	// sets differ in length.
	Pairs *Stat `json:"pairs,omitempty"`
}

// Comparison is the Key metrics of one set of runs (Of) over another's (To): two variants of
// a workload, or one variant run by two builds.
type Comparison struct {
	Store    string  `json:"store"`
	Workload string  `json:"workload"`
	Of       string  `json:"of"` // e.g. "with", or "build ./slaq-new rl with"
	To       string  `json:"to"`
	Ratios   []Ratio `json:"ratios"`
}

// Compare divides metrics of runs of over the same metrics of runs to; a metric either lacks
// (or that is 0 in to) is left out.
func Compare(of, to []*Result, ofLabel, toLabel string, metrics []string) *Comparison {
	c := &Comparison{Of: ofLabel, To: toLabel}
	if len(of) == 0 || len(to) == 0 {
		return c
	}
	c.Store, c.Workload = of[0].Store, of[0].Workload
	so, st := Summarize(of), Summarize(to)
	for _, m := range metrics {
		a, b := so.Metrics[m], st.Metrics[m]
		if a == nil || b == nil || b.Median == 0 {
			continue
		}
		r := Ratio{Metric: m, OfMedians: a.Median / b.Median}
		if len(of) == len(to) {
			var pairs []float64
			for k := range of {
				x, okx := of[k].Value(m)
				y, oky := to[k].Value(m)
				if okx && oky && y != 0 {
					pairs = append(pairs, x/y)
				}
			}
			if len(pairs) == len(of) {
				r.Pairs = stat(pairs)
			}
		}
		c.Ratios = append(c.Ratios, r)
	}
	return c
}

// WriteTable prints c: a heading, then one line per metric with the ratio of the medians and
// the run-by-run ratios, median [min–max].
func (c *Comparison) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "%s on %s: %s / %s\n", c.Workload, c.Store, c.Of, c.To)
	width := 0
	for _, r := range c.Ratios {
		width = max(width, len(r.Metric))
	}
	for _, r := range c.Ratios {
		fmt.Fprintf(w, "  %-*s %8s of medians", width, r.Metric, ratio(r.OfMedians))
		if p := r.Pairs; p != nil {
			fmt.Fprintf(w, "; run by run %s [%s–%s]", ratio(p.Median), ratio(p.Min), ratio(p.Max))
		}
		fmt.Fprintln(w)
	}
	if len(c.Ratios) == 0 {
		fmt.Fprintln(w, "  no metric in common")
	}
	_, err := fmt.Fprintln(w)
	return err
}

// WriteJSON writes c as one JSON line, {"comparison": {...}}, beside the summaries.
func (c *Comparison) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(struct {
		C *Comparison `json:"comparison"`
	}{c})
	if err != nil {
		return fmt.Errorf("bench: encode comparison: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("bench: write comparison: %w", err)
	}
	return nil
}

// ratio prints a ratio with three decimals.
func ratio(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", v)
}
