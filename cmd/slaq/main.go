// Command slaq is slaq's operator CLI. Each subcommand lives in its own file:
//
//	slaq bench   run the benchmark workloads W1–W5 (bench.go)
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		os.Exit(1)
	}
}

// newRootCmd returns the `slaq` command with every subcommand.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "slaq",
		Short:         "slaq is an SLA-tiered background job queue",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(newBenchCmd())
	return root
}
