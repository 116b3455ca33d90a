package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newPauseCmd returns `slaq pause TIER` (pause true) or `slaq resume TIER`.
func newPauseCmd(g *globalFlags, pause bool) *cobra.Command {
	verb, path := "resume", "/api/jobs/resume"
	short := "Resume a paused tier"
	if pause {
		verb, path = "pause", "/api/jobs/pause"
		short = "Pause a tier in every process sharing the store (it still accepts enqueues)"
	}
	return &cobra.Command{
		Use:     verb + " TIER",
		Short:   short,
		Long:    short + ". TIER is a name (critical, high, medium, low, batch; any case) or a number 1-5.",
		Example: "  slaq " + verb + " batch\n  slaq " + verb + " 5 --server http://127.0.0.1:4000",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			api, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer api.close()
			var r struct {
				Tier   string
				Paused bool
			}
			raw, err := api.call(cmd.Context(), "POST", path, map[string]string{"tier": a[0]}, &r)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			state := "resumed"
			if r.Paused {
				state = "paused"
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", r.Tier, state)
			return err
		},
	}
}
