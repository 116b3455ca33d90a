// Package migrate applies a package's embedded goose SQL migrations, the one way slaq's SQL
// packages (the dead-letter queue, the outbox) create and upgrade their tables.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// DefaultLockWait is how long Up waits, polling once a second, for another process migrating
// the same PostgreSQL schema: 60 s.
const DefaultLockWait = 60

// Up applies the pending migrations in files (goose SQL files) to db, recording them in table.
// On PostgreSQL (postgres true) processes migrating the same schema wait for each other on an
// advisory lock named by lockName and the connection's current schema; different schemas of
// one database migrate side by side. Only these files run, never another package's Go
// migrations.
func Up(ctx context.Context, db *sql.DB, files fs.FS, table string, postgres bool, lockName string) error {
	opts := []goose.ProviderOption{
		goose.WithTableName(table),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	}
	dialect := goose.DialectSQLite3
	if postgres {
		dialect = goose.DialectPostgres
		id, err := lockID(ctx, db, lockName)
		if err != nil {
			return err
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, DefaultLockWait))
		if err != nil {
			return fmt.Errorf("make migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db, files, opts...)
	if err != nil {
		return fmt.Errorf("make goose provider: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// lockID is the advisory lock id of lockName in the connection's current schema.
func lockID(ctx context.Context, db *sql.DB, lockName string) (int64, error) {
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, fmt.Errorf("read current schema: %w", err)
	}
	if !schema.Valid {
		return 0, fmt.Errorf("no schema in the search_path exists: create one or fix search_path")
	}
	h := fnv.New64a()
	h.Write([]byte(lockName + ":" + schema.String))
	return int64(h.Sum64()), nil
}
