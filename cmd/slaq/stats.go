package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/slaqhq/slaq"
)

// statsDefaultInterval is how often `slaq stats --watch` refreshes: 2 s.
const statsDefaultInterval = 2 * time.Second

// tierMetrics is one tier of GET /api/jobs/metrics.
type tierMetrics struct {
	Waiting, Active, Completed, Failed, Delayed, Total int64
	Paused                                             bool
	SLA                                                struct {
		TargetMs      float64 `json:"target_ms"`
		PickupP50Ms   float64 `json:"pickup_p50_ms"`
		PickupP99Ms   float64 `json:"pickup_p99_ms"`
		CompliancePct float64 `json:"compliance_pct"`
		Breaches      int64
		Samples       int
	}
}

func newStatsCmd(g *globalFlags) *cobra.Command {
	var watch bool
	var interval time.Duration
	var count int
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show every tier's counts, pause state and pickup SLA",
		Long: `stats prints a table per tier: waiting, active, delayed, completed, failed, total, whether
the tier is paused, and pickup latency (p50, p99, % within the tier's target, breaches) as the
answering process measured it. --watch refreshes it every --interval until Ctrl-C (or --count
times); with --json it prints one JSON answer per line.`,
		Example: `  slaq stats
  slaq stats --watch --interval 5s
  SLAQ_TOKEN=… slaq stats --server http://127.0.0.1:4000 --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if interval <= 0 {
				return usageErr("--interval must be positive")
			}
			a, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer a.close()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for n := 1; ; n++ {
				if err := printStats(cmd, g, a, watch && !g.json); err != nil {
					return err
				}
				if !watch || (count > 0 && n >= count) {
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-tick.C:
				}
			}
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "refresh until interrupted")
	cmd.Flags().DurationVar(&interval, "interval", statsDefaultInterval, "refresh interval with --watch")
	cmd.Flags().IntVar(&count, "count", 0, "with --watch, stop after this many refreshes (default 0: never)")
	return cmd
}

func printStats(cmd *cobra.Command, g *globalFlags, a *api, clear bool) error {
	var m struct {
		Metrics map[string]tierMetrics
	}
	raw, err := a.call(cmd.Context(), "GET", "/api/jobs/metrics", nil, &m)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if g.json {
		var compact []byte
		if compact, err = json.Marshal(json.RawMessage(raw)); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", compact)
		return err
	}
	if clear && isTerminalWriter(out) {
		fmt.Fprint(out, "\033[H\033[2J")
	}
	rows := [][]string{{"TIER", "WAITING", "ACTIVE", "DELAYED", "COMPLETED", "FAILED", "TOTAL", "PAUSED", "P50", "P99", "WITHIN SLA", "BREACHES"}}
	for _, t := range slaq.Tiers {
		tm := m.Metrics[t.String()]
		paused := "no"
		if tm.Paused {
			paused = "PAUSED"
		}
		p50, p99, within := "-", "-", "-"
		if tm.SLA.Samples > 0 {
			p50, p99 = fmtMs(tm.SLA.PickupP50Ms), fmtMs(tm.SLA.PickupP99Ms)
			within = strconv.FormatFloat(tm.SLA.CompliancePct, 'f', 1, 64) + "%"
		}
		i := strconv.FormatInt
		rows = append(rows, []string{t.String(), i(tm.Waiting, 10), i(tm.Active, 10), i(tm.Delayed, 10), i(tm.Completed, 10),
			i(tm.Failed, 10), i(tm.Total, 10), paused, p50, p99, within, i(tm.SLA.Breaches, 10)})
	}
	if clear {
		fmt.Fprintf(out, "%s  (every tier; latency as measured by the answering process)\n", time.Now().Format("15:04:05"))
	}
	return table(out, rows)
}

func fmtMs(ms float64) string { return strconv.FormatFloat(ms, 'f', 2, 64) + "ms" }
