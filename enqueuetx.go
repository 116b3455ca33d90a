package slaq

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/slaqhq/slaq/internal/maint"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store"
)

// EnqueueTx enqueues one job within tx, the caller's transaction on the database of
// Config.Outbox, and returns its final id at once. The job is one row of the outbox table,
// written by one INSERT: it exists for slaq exactly when tx commits (a rollback leaves
// nothing), and a forwarder (see Start) then moves it into the store. Its pickup latency counts
// from when the forwarder read it, just after the commit (its RunAt is moved up to then), not
// from the start of the transaction. With [Unique], a job that turns out a duplicate when
// forwarded is dropped then, and the id returned names no job. Bad input wraps [ErrInvalid].
func (c *Client) EnqueueTx(ctx context.Context, tx *sql.Tx, typ string, payload any, opts ...Option) (string, error) {
	// The path of one job allocates no request or result slices: it runs inside the
	// caller's transaction.
	if err := c.checkTx(ctx, tx); err != nil {
		return "", err
	}
	j, err := c.buildJob(c.cfg.clock.Now(), Request{Type: typ, Payload: payload, Options: opts})
	if err != nil {
		return "", fmt.Errorf("slaq: enqueue: %w", err)
	}
	one := [1]*Job{j}
	if err := c.cfg.Outbox.Insert(ctx, tx, one[:]); err != nil {
		return "", fmt.Errorf("slaq: enqueue in transaction: %w", err)
	}
	return j.ID, nil
}

// checkTx checks what EnqueueTx and EnqueueBulkTx need before any job is built.
func (c *Client) checkTx(ctx context.Context, tx *sql.Tx) error {
	if err := checkCtx(ctx, "enqueue"); err != nil {
		return err
	}
	if c.cfg.Outbox == nil {
		return errors.New("slaq: EnqueueTx needs Config.Outbox")
	}
	if tx == nil {
		return fmt.Errorf("slaq: enqueue: %w", invalid("nil transaction"))
	}
	return nil
}

// EnqueueBulkTx enqueues many jobs within tx, in one INSERT, as EnqueueTx does one. If any
// request is invalid, nothing is written.
func (c *Client) EnqueueBulkTx(ctx context.Context, tx *sql.Tx, reqs []Request) ([]string, error) {
	if err := c.checkTx(ctx, tx); err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	now := c.cfg.clock.Now()
	jobs := make([]*Job, len(reqs))
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		j, err := c.buildJob(now, r)
		if err != nil {
			return nil, fmt.Errorf("slaq: enqueue request %d: %w", i, err)
		}
		jobs[i], ids[i] = j, j.ID
	}
	if err := c.cfg.Outbox.Insert(ctx, tx, jobs); err != nil {
		return nil, fmt.Errorf("slaq: enqueue in transaction: %w", err)
	}
	return ids, nil
}

// forwarders returns the services that move Config.Outbox and Config.Spool into the store.
func (c *Client) forwarders() []maint.Service {
	var out []maint.Service
	if c.cfg.Outbox != nil {
		out = append(out, c.newForwarder("outbox", c.cfg.Outbox, true))
	}
	if c.cfg.Spool != nil {
		out = append(out, c.newForwarder("spool", c.cfg.Spool, false))
	}
	return out
}

func (c *Client) newForwarder(name string, o *outbox.Outbox, stamp bool) *maint.Forwarder {
	r := c.cfg
	return maint.NewForwarder(maint.ForwarderConfig{
		Outbox: o, Store: c.st, Clock: r.clock, Logger: r.log, Name: name, Batch: r.ForwardBatch,
		Every: r.ForwardInterval, RetryMin: r.StoreRetryMin, RetryMax: r.StoreRetryMax, StampRunAt: stamp,
		OnForward: func(jobs []*store.Job, res []store.EnqueueResult) {
			c.durable.storeDown.Store(false)
			c.durable.forwarded.Add(int64(len(jobs)))
			at := r.clock.Now()
			for i, j := range jobs {
				if !res[i].Duplicate {
					c.events.emit(Event{Kind: EventForwarded, At: at, Job: j})
				}
			}
		},
		OnReject: func(outbox.Rejection) { c.durable.rejected.Add(1) },
		OnError: func(error) {
			if !stamp { // the spool's forwarder fails only when the store does
				c.durable.storeDown.Store(true)
			}
		},
	})
}

// startForwarding starts only the forwarders and the schedules' firer, for a client with no
// Handler.
func (c *Client) startForwarding(ctx context.Context) error {
	services := append(c.forwarders(), c.startableCron()...)
	if len(services) == 0 {
		return errors.New("slaq: Start needs Config.Handler, Config.Schedules to fire, or Config.Outbox or Config.Spool to forward")
	}
	for i, s := range services {
		if err := s.Start(ctx); err != nil {
			for _, started := range services[:i] {
				started.Stop()
			}
			return fmt.Errorf("slaq: start: %w", err)
		}
	}
	c.maint = services
	return nil
}
