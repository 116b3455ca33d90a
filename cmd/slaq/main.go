// Command slaq is slaq's server and operator CLI. Each subcommand lives in its own file:
//
//	slaq serve      run the admin API (and, in development, workers) over a store (serve.go)
//	slaq migrate    create or upgrade the store's and the dead-letter queue's schemas (migrate.go)
//	slaq stats      a table of every tier's counts and pickup SLA; --watch refreshes it (stats.go)
//	slaq pause      pause a tier; slaq resume resumes it (pause.go)
//	slaq jobs       list, get and cancel jobs (jobs.go)
//	slaq dlq        list, retry, delete and purge dead letters (dlq.go)
//	slaq enqueue    enqueue a job (enqueue.go)
//	slaq load       HTTP load against a running server (load.go)
//	slaq bench      run the benchmark workloads W1–W5 (bench.go)
//
// The operator commands work against a running server (--server URL, token from SLAQ_TOKEN)
// or, without --server, directly against the store and dead-letter queue that the
// environment, flags and config file name (the same ones `slaq serve` would open): in both
// cases they speak the admin API, so they behave alike.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // schedules' zones resolve where no zone database is installed (scratch images)

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK           = 0
	exitFailure      = 1 // the operation failed (server error, store unreachable, some items failed)
	exitUsage        = 2 // bad flags, arguments or input (an API 400)
	exitNotFound     = 3 // no such job or dead letter
	exitUnauthorized = 4 // the server refused the token
	exitForced       = 5 // serve: a second signal forced the exit before the graceful shutdown ended
)

// exitError carries a command's exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as bad usage (exit 2).
func usageErr(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err))
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if strings.HasPrefix(err.Error(), "unknown command") {
		return exitUsage // cobra's own argument checking
	}
	return exitFailure
}

// newRootCmd returns the `slaq` command with every subcommand.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "slaq",
		Short: "slaq is an SLA-tiered background job queue",
		Long: `slaq is an SLA-tiered background job queue: its server and its operator CLI.

Start here:  slaq serve        (embedded store in ./slaq-data, admin API on http://127.0.0.1:4000)

Operator commands (stats, pause, resume, jobs, dlq, enqueue) work against a running server with
--server URL (or SLAQ_SERVER) and the token in SLAQ_TOKEN, or without --server directly on the
store and dead-letter queue that REDIS_URL / REDIS_HOST, DATABASE_URL, --data-dir and --config name.

Exit codes: 0 done, 1 failed, 2 bad usage or input, 3 not found, 4 token refused,
5 serve forced to exit by a second signal.`,
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{exitUsage, err} })
	g := addGlobalFlags(root)
	root.AddCommand(newServeCmd(g), newMigrateCmd(g), newStatsCmd(g), newPauseCmd(g, true), newPauseCmd(g, false),
		newJobsCmd(g), newDLQCmd(g), newEnqueueCmd(g), newLoadCmd(g), newBenchCmd())
	return root
}

// args returns a cobra.PositionalArgs that makes a wrong argument count a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return &exitError{exitUsage, err}
		}
		return nil
	}
}
