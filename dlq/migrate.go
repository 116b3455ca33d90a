package dlq

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

// migrations holds one folder of goose SQL migrations per backend.
//
//go:embed migrations
var migrations embed.FS

// migrationLockWait is how long Open waits, polling once a second, for another process that is
// migrating the same PostgreSQL schema: 60 s.
const migrationLockWait = 60

// migrate applies the pending migrations of backend b to sqlDB.
func migrate(ctx context.Context, sqlDB *sql.DB, b backend) error {
	files, err := fs.Sub(migrations, "migrations/"+b.String())
	if err != nil {
		return fmt.Errorf("read embedded migrations: %w", err)
	}
	opts := []goose.ProviderOption{
		goose.WithTableName(MigrationsTable),
		goose.WithDisableGlobalRegistry(true), // only our files, never another package's Go migrations
		goose.WithLogger(goose.NopLogger()),
	}
	dialect := goose.DialectSQLite3
	if b == postgresBackend {
		dialect = goose.DialectPostgres
		id, err := migrationLockID(ctx, sqlDB)
		if err != nil {
			return err
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, migrationLockWait))
		if err != nil {
			return fmt.Errorf("make migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, sqlDB, files, opts...)
	if err != nil {
		return fmt.Errorf("make goose provider: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// migrationLockID returns the PostgreSQL advisory lock id that serializes migrations of the
// dead-letter queue in the connection's current schema. Processes migrating the same schema
// wait for each other; different schemas of one database migrate side by side.
func migrationLockID(ctx context.Context, sqlDB *sql.DB) (int64, error) {
	var schema sql.NullString
	if err := sqlDB.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, fmt.Errorf("read current schema: %w", err)
	}
	if !schema.Valid {
		return 0, fmt.Errorf("no schema in the search_path exists: create one or fix search_path")
	}
	h := fnv.New64a()
	h.Write([]byte("slaq/dlq:" + schema.String))
	return int64(h.Sum64()), nil
}
