package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/spf13/cobra"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/slaqhq/slaq/internal/server"
	"github.com/slaqhq/slaq/outbox"
)

func newMigrateCmd(g *globalFlags) *cobra.Command {
	var outboxDSN string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the store's and the dead-letter queue's schemas",
		Long: `migrate opens the store and the dead-letter queue that the environment, flags and config file
name, applying any pending migrations (the embedded store's tables, the failed_jobs table in
SQLite or PostgreSQL; Redis needs none), and says where they are. serve does the same on
start, so migrate is for deployments that migrate in a step of their own. It works on the
store directly, never through --server.

With --outbox, it also creates or upgrades the slaq_outbox table that Client.EnqueueTx writes
to, in the application's own database (a postgres:// URL or an SQLite file path).`,
		Example: "  DATABASE_URL=postgres://slaq@db/slaq slaq migrate\n  slaq migrate --outbox postgres://app@db/app",
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
			if outboxDSN != "" {
				if err := migrateOutbox(cmd.Context(), outboxDSN); err != nil {
					return fmt.Errorf("migrate: %w", err)
				}
			}
			if g.json {
				fmt.Fprintf(cmd.OutOrStdout(), "{\"store\": %q, \"dead_letters\": %q, \"outbox\": %t, \"migrated\": true}\n", b.StoreDesc, b.DLQDesc, outboxDSN != "")
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "store:        %s: up to date\ndead letters: %s: up to date\n", b.StoreDesc, b.DLQDesc)
			if outboxDSN != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "outbox:       slaq_outbox: up to date\n")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&outboxDSN, "outbox", "", "also migrate the outbox table in this application database (postgres:// URL or SQLite path)")
	return cmd
}

// migrateOutbox creates or upgrades the outbox table in the database dsn names.
func migrateOutbox(ctx context.Context, dsn string) error {
	driver := "sqlite"
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return fmt.Errorf("outbox: open: %w", err)
	}
	defer db.Close()
	return outbox.Migrate(ctx, db)
}
