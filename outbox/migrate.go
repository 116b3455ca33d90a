package outbox

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/slaqhq/slaq/internal/migrate"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies the outbox's pending migrations to db (PostgreSQL: in the schema its
// search_path names first). Processes migrating one PostgreSQL schema at once wait for each
// other.
func Migrate(ctx context.Context, db *sql.DB) error {
	d, err := dialectOf(db)
	if err != nil {
		return err
	}
	files, err := fs.Sub(migrations, "migrations/"+d.String())
	if err != nil {
		return fmt.Errorf("outbox: read embedded migrations: %w", err)
	}
	if err := migrate.Up(ctx, db, files, MigrationsTable, d == Postgres, "slaq/outbox"); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}
