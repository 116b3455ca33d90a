package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// job is a job as the API shows it.
type job struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Tier        string          `json:"tier"`
	State       string          `json:"state"`
	Payload     json.RawMessage `json:"payload"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"max_attempts"`
	TimeoutMs   int64           `json:"timeout_ms"`
	RunAt       int64           `json:"run_at"`
	CreatedAt   int64           `json:"created_at"`
	StartedAt   int64           `json:"started_at"`
	FinishedAt  int64           `json:"finished_at"`
	LastError   string          `json:"last_error"`
	UniqueKey   string          `json:"unique_key"`
	Result      json.RawMessage `json:"result"`
}

func newJobsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List, inspect and cancel jobs",
	}
	cmd.AddCommand(newJobsListCmd(g), newJobsGetCmd(g), newJobsCancelCmd(g))
	return cmd
}

func newJobsListCmd(g *globalFlags) *cobra.Command {
	var tier, state, cursor string
	var limit int
	var all bool
	cmd := &cobra.Command{
		Use:     "list --tier TIER [--state waiting|delayed|active|completed|failed]",
		Short:   "List one tier's jobs in one state, a page at a time",
		Example: "  slaq jobs list --tier critical\n  slaq jobs list --tier 4 --state delayed --all",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tier == "" {
				return usageErr("--tier is required (a name or 1-5)")
			}
			a, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer a.close()
			rows := [][]string{{"ID", "TYPE", "STATE", "ATTEMPTS", "RUN AT", "CREATED", "LAST ERROR"}}
			for {
				q := url.Values{"tier": {tier}, "state": {state}, "limit": {strconv.Itoa(limit)}, "cursor": {cursor}}
				var page struct {
					Jobs []job
					Next string
				}
				raw, err := a.call(cmd.Context(), "GET", "/api/jobs?"+q.Encode(), nil, &page)
				if err != nil {
					return err
				}
				if g.json {
					if err := printJSON(cmd.OutOrStdout(), raw); err != nil {
						return err
					}
				}
				for _, j := range page.Jobs {
					rows = append(rows, []string{j.ID, j.Type, j.State, fmt.Sprintf("%d/%d", j.Attempts, j.MaxAttempts),
						fmtTime(j.RunAt), fmtTime(j.CreatedAt), oneLine(j.LastError)})
				}
				cursor = page.Next
				if !all || cursor == "" {
					break
				}
			}
			if g.json {
				return nil
			}
			if err := table(cmd.OutOrStdout(), rows); err != nil {
				return err
			}
			if cursor != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "more: --cursor %s (or --all)\n", cursor)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&tier, "tier", "", "tier name or number (required)")
	f.StringVar(&state, "state", "waiting", "job state")
	f.IntVar(&limit, "limit", 50, "page size (at most 1000)")
	f.StringVar(&cursor, "cursor", "", "start after this cursor (printed after a page)")
	f.BoolVar(&all, "all", false, "follow the cursor through every page")
	return cmd
}

func newJobsGetCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   "Show a job: state, attempts, timestamps, last error and result",
		Example: "  slaq jobs get 101JD5X9ZQ47KQ2M8VXN3TR",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			api, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer api.close()
			var r struct{ Job job }
			raw, err := api.call(cmd.Context(), "GET", "/api/jobs/"+url.PathEscape(a[0]), nil, &r)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			j := r.Job
			return table(cmd.OutOrStdout(), [][]string{
				{"id", j.ID}, {"type", j.Type}, {"tier", j.Tier}, {"state", j.State},
				{"attempts", fmt.Sprintf("%d of %d", j.Attempts, j.MaxAttempts)}, {"timeout", fmt.Sprintf("%d ms", j.TimeoutMs)},
				{"run at", fmtTime(j.RunAt)}, {"created", fmtTime(j.CreatedAt)}, {"started", fmtTime(j.StartedAt)},
				{"finished", fmtTime(j.FinishedAt)}, {"unique key", dash(j.UniqueKey)}, {"last error", dash(oneLine(j.LastError))},
				{"payload", string(j.Payload)}, {"result", string(j.Result)},
			})
		},
	}
}

func newJobsCancelCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "cancel ID...",
		Short:   "Cancel waiting or delayed jobs",
		Long:    "cancel deletes each named job if it is waiting or delayed. It goes on past failures and exits with the first failure's code.",
		Example: "  slaq jobs cancel 101JD5X9ZQ47KQ2M8VXN3TR",
		Args:    args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			api, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer api.close()
			var first error
			for _, id := range ids {
				raw, err := api.call(cmd.Context(), "POST", "/api/jobs/"+url.PathEscape(id)+"/cancel", nil, nil)
				switch {
				case err != nil:
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", id, err)
					if first == nil {
						first = err
					}
				case g.json:
					printJSON(cmd.OutOrStdout(), raw)
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "%s canceled\n", id)
				}
			}
			return silent(first)
		},
	}
}

// silent keeps err's exit code but not its message (already printed).
func silent(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{exitCode(err), errAlreadyReported}
}

// errAlreadyReported is the error of a command that printed its failures itself.
var errAlreadyReported = fmt.Errorf("some items failed (see above)")

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
