package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newEnqueueCmd(g *globalFlags) *cobra.Command {
	var priority, payload, key string
	var delay, timeout, backoff, ttl time.Duration
	var attempts int
	var runAt string
	cmd := &cobra.Command{
		Use:   "enqueue TYPE [--priority TIER] [--payload JSON|@FILE|-]",
		Short: "Enqueue a job and print its id",
		Long: `enqueue stores one job of TYPE and prints its id. --payload is JSON, @FILE to read it from a
file, or - to read it from stdin; default null. The tier defaults to the job type's (config
file), else MEDIUM. With --idempotency-key, an enqueue of a key already held prints the id
of the job that holds it and stores nothing.`,
		Example: `  slaq enqueue send_email --priority medium --payload '{"to":"a@example.com"}'
  slaq enqueue generate_report --priority 4 --payload @report.json --delay 10m
  slaq enqueue webhook_cryptomus --priority high --idempotency-key pay_123 --payload -`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			body := map[string]any{"type": a[0]}
			if priority != "" {
				body["priority"] = priority
			}
			p, err := readPayload(payload, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if p != nil {
				body["payload"] = p
			}
			opts := map[string]any{}
			for _, d := range []struct {
				name string
				v    time.Duration
			}{{"delay_ms", delay}, {"timeout_ms", timeout}, {"unique_ttl_ms", ttl}} {
				if d.v < 0 {
					return usageErr("--%s must not be negative", strings.TrimSuffix(d.name, "_ms"))
				}
				if d.v > 0 {
					opts[d.name] = d.v.Milliseconds()
				}
			}
			if cmd.Flags().Changed("backoff") {
				opts["backoff_ms"] = backoff.Milliseconds()
			}
			if attempts != 0 {
				opts["attempts"] = attempts
			}
			if runAt != "" {
				t, err := parseWhen(runAt, time.Now(), true)
				if err != nil {
					return usageErr("--run-at: %v", err)
				}
				opts["run_at"] = t
			}
			if len(opts) > 0 {
				body["options"] = opts
			}
			if key != "" {
				body["idempotency_key"] = key
			}
			api, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer api.close()
			var r struct{ ID string }
			raw, err := api.call(cmd.Context(), "POST", "/api/jobs", body, &r)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), r.ID)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&priority, "priority", "p", "", "tier: name or 1-5 (default: the type's, else MEDIUM)")
	f.StringVar(&payload, "payload", "", "JSON payload, @FILE, or - for stdin (default null)")
	f.DurationVar(&delay, "delay", 0, "run this long from now")
	f.StringVar(&runAt, "run-at", "", "run at this time (RFC 3339 or Unix ms)")
	f.DurationVar(&timeout, "timeout", 0, "bound on one run (default: the type's, else the tier's)")
	f.IntVar(&attempts, "attempts", 0, "total runs allowed (default: the type's, else the tier's)")
	f.DurationVar(&backoff, "backoff", 0, "delay before the first retry (default: the type's, else the tier's)")
	f.StringVar(&key, "idempotency-key", "", "deduplicate enqueues with this key")
	f.DurationVar(&ttl, "unique-ttl", 0, "how long the idempotency key holds (default 24h)")
	return cmd
}

// readPayload reads --payload: JSON text, @FILE or - (stdin); nil when empty.
func readPayload(s string, stdin io.Reader) (json.RawMessage, error) {
	var b []byte
	var err error
	switch {
	case s == "":
		return nil, nil
	case s == "-":
		b, err = io.ReadAll(stdin)
	case strings.HasPrefix(s, "@"):
		b, err = os.ReadFile(s[1:])
	default:
		b = []byte(s)
	}
	if err != nil {
		return nil, usageErr("--payload: %v", err)
	}
	if !json.Valid(b) {
		return nil, usageErr("--payload is not valid JSON: %.60s", b)
	}
	return json.RawMessage(b), nil
}
