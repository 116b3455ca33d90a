package dlq

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TCP keepalive of PostgreSQL connections: the kernel probes a connection idle for
// keepAliveIdle every keepAliveInterval and drops it after keepAliveCount unanswered probes,
// so a peer that vanished is noticed in about 30 s even on a connection nobody uses.
const (
	keepAliveIdle     = 15 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
)

// keepAliveDialer dials PostgreSQL with TCP keepalives on.
var keepAliveDialer = &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{
	Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount,
}}

// bound returns ctx limited by the query timeout, for one call's database work.
func (db *DB) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, db.queryTimeout)
}

// failed handles err from database work done under qctx = bound(ctx), ctx being the
// caller's, and returns it, noting the query timeout when that is what ended the work.
//
// When PostgreSQL did not answer (no server error came back) while the caller still waits,
// every idle connection is as suspect as the one that failed: a server or path gone silent
// leaves them all half-open. failed closes them, so that the next call dials afresh instead of
// waiting out a timeout on each. The connection that failed is never reused: pgx closes a
// connection whose query was interrupted, and database/sql then discards it.
func (db *DB) failed(ctx, qctx context.Context, err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) || ctx.Err() != nil {
		return err
	}
	var pgErr *pgconn.PgError
	if db.backend == postgresBackend && !errors.As(err, &pgErr) {
		db.sql.SetMaxIdleConns(-1) // closes every idle connection
		db.sql.SetMaxIdleConns(DefaultMaxOpenConns)
	}
	if errors.Is(qctx.Err(), context.DeadlineExceeded) {
		if !errors.Is(err, context.DeadlineExceeded) {
			// e.g. driver.ErrBadConn from a liveness check that the deadline cut short
			return fmt.Errorf("no answer within the query timeout of %v: %w (%w)",
				db.queryTimeout, err, qctx.Err())
		}
		return fmt.Errorf("no answer within the query timeout of %v: %w", db.queryTimeout, err)
	}
	return err
}
