package outbox

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// migrationLockWait is how long Migrate waits, polling once a second, for another process
// migrating the outbox in the same PostgreSQL schema: 60 s.
const migrationLockWait = 60

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
	opts := []goose.ProviderOption{
		goose.WithTableName(MigrationsTable),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	}
	dialect := goose.DialectSQLite3
	if d == Postgres {
		dialect = goose.DialectPostgres
		var schema sql.NullString
		if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return fmt.Errorf("outbox: read current schema: %w", err)
		}
		if !schema.Valid {
			return fmt.Errorf("outbox: no schema in the search_path exists: create one or fix search_path")
		}
		h := fnv.New64a()
		h.Write([]byte("slaq/outbox:" + schema.String))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, migrationLockWait))
		if err != nil {
			return fmt.Errorf("outbox: make migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db, files, opts...)
	if err != nil {
		return fmt.Errorf("outbox: make goose provider: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("outbox: apply migrations: %w", err)
	}
	return nil
}
