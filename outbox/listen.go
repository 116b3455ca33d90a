package outbox

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/slaqhq/slaq/store"
)

// Job is a job record as the store keeps it.
type Job = store.Job

// Listen, on PostgreSQL, holds one connection of the database's pool, LISTENs on the
// outbox's channel and signals Wake on every notification (one per committed transaction
// that inserted) and once when it starts listening (rows may have been committed before). It
// returns when ctx ends (nil) or the connection fails (an error; call it again). The
// connection is discarded afterwards, never returned to the pool still listening. On SQLite
// it waits for ctx and returns nil: the in-process signal of Insert and Add needs no
// connection.
func (o *Outbox) Listen(ctx context.Context) error {
	if o.dialect != Postgres {
		<-ctx.Done()
		return nil
	}
	conn, err := o.db.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("outbox: listen: connect: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc, err := pgxConn(dc)
		if err != nil {
			return err
		}
		if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{o.channel}.Sanitize()); err != nil {
			return fmt.Errorf("%w: outbox: listen: %w", driver.ErrBadConn, err)
		}
		o.signal()
		for {
			if _, err := pc.WaitForNotification(ctx); err != nil {
				return fmt.Errorf("%w: outbox: wait for notification: %w", driver.ErrBadConn, err)
			}
			o.signal()
		}
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}
