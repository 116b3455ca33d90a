package outbox

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/slaqhq/slaq/store"
)

// Job is a job record as the store keeps it.
type Job = store.Job

// Listen, on PostgreSQL, holds one connection of the database's pool, LISTENs on the
// outbox's channel and signals Wake on every notification (one per committed transaction
// that inserted with a NOTIFY) and once when it starts listening (rows may have been
// committed before). Meanwhile it runs the outbox's commit watch (Options.CommitWaiters
// connections of its own), which signals Wake when transactions that inserted through this
// Outbox without a NOTIFY end. It returns when ctx ends (nil) or a connection fails (an
// error; call it again). The pool's connection is discarded afterwards, never returned to
// the pool still listening. On SQLite it waits for ctx and returns nil: the in-process
// signal of Insert and Add needs no connection.
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
		lctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		var wg sync.WaitGroup
		defer wg.Wait()
		if o.watch != nil {
			wg.Go(func() {
				if err := o.watch.run(lctx, pc.Config(), o.signal); err != nil {
					cancel(err)
				}
			})
		}
		o.signal()
		for {
			if _, err := pc.WaitForNotification(lctx); err != nil {
				if cause := context.Cause(lctx); ctx.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled) {
					err = cause // the commit watch failed
				}
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
