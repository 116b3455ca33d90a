package maint

import (
	"context"
	"sync"
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store"
)

// Outbox is the part of *outbox.Outbox a forwarder uses.
type Outbox interface {
	// Forward moves up to limit committed jobs with move, in one transaction, and says how
	// many it moved and which rows it set aside because they do not decode to a valid job.
	Forward(ctx context.Context, limit int, move func(ctx context.Context, jobs []*store.Job) error) (outbox.Forwarded, error)
	// Wake signals that jobs may have been committed.
	Wake() <-chan struct{}
	// Listen relays the database's commit notifications to Wake until ctx ends (nil) or its
	// connection fails (an error).
	Listen(ctx context.Context) error
}

// ForwarderConfig configures a Forwarder.
type ForwarderConfig struct {
	Outbox Outbox
	Store  store.Store
	Clock  service.Clock
	Logger service.Logger
	Name   string        // for logs: "outbox" or "spool"
	Batch  int           // most jobs per move
	Every  time.Duration // the safety interval: a round even when nothing woke the forwarder
	// RetryMin and RetryMax bound the pause after a failed round (store or database down);
	// it doubles from RetryMin.
	RetryMin, RetryMax time.Duration
	// StampRunAt sets a runnable job's RunAt to the time its row was read (after its
	// transaction committed), so that pickup latency counts from when the job came to exist
	// rather than from when the transaction began. The spool leaves RunAt as enqueued.
	StampRunAt bool
	// OnForward is called after each move with the jobs and the store's results.
	OnForward func(jobs []*store.Job, res []store.EnqueueResult)
	// OnReject is called for each outbox row a round set aside into outbox.RejectedTable
	// (its job record does not decode to a valid job), after the forwarder logged it.
	OnReject func(r outbox.Rejection)
	// OnError is called after each failed round.
	OnError func(err error)
	// AfterStore, a test hook, runs after the store write and before the rows are deleted.
	AfterStore func()
}

// Forwarder moves committed outbox rows into the store. It wakes on the outbox's signal
// (commit notifications), on its safety interval, and after a failure on its retry timer.
type Forwarder struct {
	base
	cfg ForwarderConfig
	// Round is signalled after each round with how many jobs it moved, or -1 when it failed.
	Round service.Signal[int]
}

// NewForwarder returns a forwarder for cfg.
func NewForwarder(cfg ForwarderConfig) *Forwarder {
	return &Forwarder{base: base{store: cfg.Store, clock: cfg.Clock, logger: cfg.Logger}, cfg: cfg}
}

// Start starts the forwarding loop and the outbox's listener; they run until Stop.
func (f *Forwarder) Start(ctx context.Context) error {
	return f.loop.Start(context.WithoutCancel(ctx), func(ctx context.Context) {
		var wg sync.WaitGroup
		wg.Go(func() { f.listen(ctx) })
		f.run(ctx)
		wg.Wait()
	})
}

func (f *Forwarder) listen(ctx context.Context) {
	retry := f.cfg.RetryMin
	for {
		start := f.clock.Now()
		err := f.cfg.Outbox.Listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			f.logger.Warn("slaq: outbox listener lost its connection; reconnecting", "outbox", f.cfg.Name, "err", err)
		}
		if f.clock.Now().Sub(start) > f.cfg.RetryMax {
			retry = f.cfg.RetryMin // it listened a while: a fresh failure
		}
		if !service.Sleep(ctx, f.clock, retry) {
			return
		}
		retry = min(2*retry, f.cfg.RetryMax)
	}
}

func (f *Forwarder) run(ctx context.Context) {
	t := f.clock.NewTimer(0) // a round at start: rows committed while no forwarder ran
	defer t.Stop()
	retry := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		case <-f.cfg.Outbox.Wake():
			if retry > 0 { // failing: wait out the retry timer
				continue
			}
		}
		n, err := f.drain(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			retry = min(max(2*retry, f.cfg.RetryMin), f.cfg.RetryMax)
			f.logger.Warn("slaq: forwarding failed; retrying", "outbox", f.cfg.Name, "in", retry, "err", err)
			if f.cfg.OnError != nil {
				f.cfg.OnError(err)
			}
			f.Round.Signal(-1)
			t.Reset(retry)
			continue
		}
		retry = 0
		f.Round.Signal(n)
		t.Reset(f.cfg.Every)
	}
}

// drain moves batches until one comes back short, and returns how many jobs it moved. A
// row set aside counts towards its batch: the rows behind it are forwarded in the same round.
func (f *Forwarder) drain(ctx context.Context) (int, error) {
	total := 0
	for {
		res, err := f.cfg.Outbox.Forward(ctx, f.cfg.Batch, f.move)
		total += res.Moved
		for _, r := range res.Rejected {
			f.logger.Error("slaq: an outbox row does not decode to a valid job; set aside in "+outbox.RejectedTable,
				"outbox", f.cfg.Name, "seq", r.Seq, "job_id", r.JobID, "reason", r.Reason)
			if f.cfg.OnReject != nil {
				f.cfg.OnReject(r)
			}
		}
		if err != nil || res.Rows() < f.cfg.Batch {
			return total, err
		}
	}
}

func (f *Forwarder) move(ctx context.Context, jobs []*store.Job) error {
	now := ms(f.clock.Now())
	if f.cfg.StampRunAt {
		for _, j := range jobs {
			if j.RunAt < now {
				j.RunAt = now
			}
			if j.State == store.StateDelayed && j.RunAt <= now {
				j.State = store.StateWaiting
			}
		}
	}
	res, err := f.store.Enqueue(ctx, now, jobs)
	if err != nil {
		return err
	}
	if f.cfg.AfterStore != nil {
		f.cfg.AfterStore()
	}
	if f.cfg.OnForward != nil {
		f.cfg.OnForward(jobs, res)
	}
	return nil
}
