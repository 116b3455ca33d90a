package dlq

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/slaqhq/slaq/internal/migrate"
)

// migrations holds one folder of goose SQL migrations per backend.
//
//go:embed migrations
var migrations embed.FS

// migrateDB applies the pending migrations of backend b to sqlDB; processes migrating one
// PostgreSQL schema at once wait for each other (up to migrate.DefaultLockWait).
func migrateDB(ctx context.Context, sqlDB *sql.DB, b backend) error {
	files, err := fs.Sub(migrations, "migrations/"+b.String())
	if err != nil {
		return fmt.Errorf("read embedded migrations: %w", err)
	}
	return migrate.Up(ctx, sqlDB, files, MigrationsTable, b == postgresBackend, "slaq/dlq")
}
