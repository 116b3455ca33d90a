package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slaqhq/slaq/internal/server"
)

func newMigrateCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the store's and the dead-letter queue's schemas",
		Long: `migrate opens the store and the dead-letter queue that the environment, flags and config file
name, applying any pending migrations (the embedded store's tables, the failed_jobs table in
SQLite or PostgreSQL; Redis needs none), and says where they are. serve does the same on
start, so migrate is for deployments that migrate in a step of their own. It works on the
store directly, never through --server.`,
		Example: "  DATABASE_URL=postgres://slaq@db/slaq slaq migrate",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.serverURL() != "" && cmd.Flags().Changed("server") {
				return usageErr("migrate works on the store directly; drop --server")
			}
			cfg, err := g.loadConfig(cmd)
			if err != nil {
				return err
			}
			b, err := server.Open(cmd.Context(), &cfg)
			if err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			defer b.Close()
			if g.json {
				fmt.Fprintf(cmd.OutOrStdout(), "{\"store\": %q, \"dead_letters\": %q, \"migrated\": true}\n", b.StoreDesc, b.DLQDesc)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "store:        %s: up to date\ndead letters: %s: up to date\n", b.StoreDesc, b.DLQDesc)
			return nil
		},
	}
}
