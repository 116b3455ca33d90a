package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
)

// Stat is one metric over several runs: each of median, min and max taken independently.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Summary is one workload variant over its runs: the object `--json` writes per line.
// A metric that does not apply to the store is null.
type Summary struct {
	// Build names the executable that ran the runs when several builds are compared
	// (`slaq bench --compare`); empty otherwise.
	Build    string            `json:"build,omitempty"`
	Store    string            `json:"store"`
	Workload string            `json:"workload"`
	Variant  string            `json:"variant"`
	Runs     int               `json:"runs"`
	Metrics  map[string]*Stat  `json:"metrics"`
	Config   map[string]string `json:"config,omitempty"`
	Flags    []string          `json:"flags,omitempty"`
	Machine  Machine           `json:"machine"`

	order []string // metric names in the order the workload reports them
}

// Summarize aggregates runs of one workload variant; runs must not be empty.
func Summarize(runs []*Result) *Summary {
	first := runs[0]
	s := &Summary{Store: first.Store, Workload: first.Workload, Variant: first.Variant, Runs: len(runs),
		Metrics: make(map[string]*Stat), Config: first.Config, Machine: first.Machine}
	values := make(map[string][]float64)
	for k, r := range runs {
		for _, m := range r.Metrics {
			if _, ok := values[m.Name]; !ok {
				s.order = append(s.order, m.Name)
			}
			values[m.Name] = append(values[m.Name], m.Value)
		}
		for _, na := range r.NA {
			if _, ok := s.Metrics[na]; !ok && !slices.Contains(s.order, na) {
				s.order = append(s.order, na)
				s.Metrics[na] = nil
			}
		}
		for _, f := range r.Flags {
			s.Flags = append(s.Flags, fmt.Sprintf("run %d: %s", k+1, f))
		}
	}
	for name, vs := range values {
		s.Metrics[name] = stat(vs)
	}
	return s
}

func stat(vs []float64) *Stat {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return &Stat{Median: med, Min: s[0], Max: s[n-1]}
}

// WriteJSON writes s as one JSON line.
func (s *Summary) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("bench: encode summary: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("bench: write summary: %w", err)
	}
	return nil
}

// WriteTable prints s as a block: a heading, then one line per metric with
// `median [min–max]` (just the value for one run, n/a where the metric does not apply).
func (s *Summary) WriteTable(w io.Writer) error {
	build := ""
	if s.Build != "" {
		build = ", build " + s.Build
	}
	fmt.Fprintf(w, "%s %s — store %s%s, %d run(s), nproc %d, Redis %s, %s\n", s.Workload, s.Variant, s.Store, build, s.Runs,
		s.Machine.NProc, s.Machine.RedisVersion, s.Machine.GoVersion)
	keys := make([]string, 0, len(s.Config))
	for k := range s.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %s\n", k, s.Config[k])
	}
	width := 0
	for _, name := range s.order {
		width = max(width, len(name))
	}
	for _, name := range s.order {
		st := s.Metrics[name]
		switch {
		case st == nil:
			fmt.Fprintf(w, "  %-*s %12s\n", width, name, "n/a")
		case s.Runs == 1 || st.Min == st.Max:
			fmt.Fprintf(w, "  %-*s %12s\n", width, name, format(st.Median))
		default:
			fmt.Fprintf(w, "  %-*s %12s  [%s–%s]\n", width, name, format(st.Median), format(st.Min), format(st.Max))
		}
	}
	for _, f := range s.Flags {
		fmt.Fprintf(w, "  ! %s\n", f)
	}
	_, err := fmt.Fprintln(w)
	return err
}

// format prints a figure with thousands separators and precision fitting its size.
func format(v float64) string {
	if v == 0 {
		v = 0 // no "-0"
	}
	a := math.Abs(v)
	switch {
	case a >= 100 || v == math.Trunc(v):
		return group(fmt.Sprintf("%.0f", v))
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// group inserts thousands separators into an integer string.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
