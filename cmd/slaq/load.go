package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/slaqhq/slaq/internal/load"
)

func newLoadCmd(g *globalFlags) *cobra.Command {
	var o load.Options
	var body string
	cmd := &cobra.Command{
		Use:   "load --url URL [--clients 50] [--duration 10s] [--probe /api/jobs/metrics]",
		Short: "Drive HTTP load at a running slaq server and report throughput and latency",
		Long: `load sends the same request back to back on --clients keep-alive connections for --duration
(at most 10m) and reports requests per second and latency percentiles. With --probe it also
GETs that path every --probe-interval on one more connection, measured apart: the metrics
route's latency under the load. The token comes from --token or SLAQ_TOKEN. Run it from
another process than the server's, as the HTTP performance targets require.`,
		Example: `  slaq load --url http://127.0.0.1:4000 --clients 50 --duration 10s \
    --body '{"type":"noop","priority":1,"options":{"retention_ms":0}}' --probe /api/jobs/metrics`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.URL == "" {
				return usageErr("--url is required")
			}
			if o.Token == "" {
				o.Token = os.Getenv("SLAQ_TOKEN")
			}
			if body != "" {
				if !json.Valid([]byte(body)) {
					return usageErr("--body is not valid JSON")
				}
				o.Body = []byte(body)
			} else if o.Method == "POST" {
				o.Body = []byte(`{"type":"noop","priority":1}`)
			}
			pace := "as fast as answered"
			if o.Rate > 0 {
				pace = fmt.Sprintf("paced to %.0f/s", o.Rate)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "load: %s %s%s with %d clients for %s, %s...\n", o.Method, o.URL, o.Path, o.Clients, o.Duration, pace)
			res, err := load.Run(cmd.Context(), o)
			if res == nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.json {
				b, _ := json.MarshalIndent(res, "", "  ")
				fmt.Fprintln(out, string(b))
				return err
			}
			rows := [][]string{{"STREAM", "REQUESTS", "PER SEC", "ERRORS", "P50", "P90", "P99", "MAX"}}
			line := func(name string, s load.Stats) []string {
				f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "ms" }
				return []string{name, strconv.FormatInt(s.Requests, 10), strconv.FormatFloat(s.PerSec, 'f', 0, 64),
					strconv.FormatInt(s.Errors, 10), f(s.P50Ms), f(s.P90Ms), f(s.P99Ms), f(s.MaxMs)}
			}
			rows = append(rows, line(o.Method+" "+o.Path, res.Main))
			if res.Probe != nil {
				rows = append(rows, line("GET "+o.ProbePath+" (probe)", *res.Probe))
			}
			table(out, rows)
			if res.Main.FirstErr != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "first error: %s\n", res.Main.FirstErr)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.URL, "url", "", "server base URL, e.g. http://127.0.0.1:4000 (required)")
	f.StringVar(&o.Token, "token", "", "admin token (default: SLAQ_TOKEN)")
	f.StringVar(&o.Method, "method", "POST", "request method")
	f.StringVar(&o.Path, "path", "/api/jobs", "request path")
	f.StringVar(&body, "body", "", `request body (default for POST: {"type":"noop","priority":1})`)
	f.IntVar(&o.Clients, "clients", load.DefaultClients, "concurrent keep-alive connections")
	f.DurationVar(&o.Duration, "duration", load.DefaultDuration, "how long to measure (at most 10m)")
	f.Float64Var(&o.Rate, "rate", 0, "pace all clients together to this many requests/s, latency counted from when each was due (default 0: as fast as the server answers)")
	f.DurationVar(&o.Warmup, "warmup", time.Second, "run this long first without measuring")
	f.StringVar(&o.ProbePath, "probe", "", "also GET this path at a fixed rate, measured apart")
	f.DurationVar(&o.ProbeInterval, "probe-interval", load.DefaultProbeInterval, "interval of the probe's requests")
	return cmd
}
