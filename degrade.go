package slaq

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store"
)

// Degrade says what Enqueue does when the store does not answer (a lost connection, a
// timeout: the errors that wrap [ErrOutcomeUnknown]). Bad input is refused whatever the
// policy. It is chosen per client (Config.Degrade) and per job type (TypeConfig.Degrade); a
// bulk enqueue whose jobs' policies differ uses DegradeFail.
type Degrade uint8

// The degradation policies. The zero value means "inherit": the job type's policy, then the
// client's, then DegradeFail.
const (
	// DegradeFail returns the store's error, wrapping ErrOutcomeUnknown: the job may have been
	// stored. The default.
	DegradeFail Degrade = iota + 1
	// DegradeDirect runs the job's handler in this process at once, within the job's timeout,
	// the guide's fallback: Enqueue returns the id and the handler's error (no retries), and an
	// EventRanDirect. The store may have stored the job before it failed to answer, so the job
	// may run again from the store: make such handlers idempotent. Needs Config.Handler.
	DegradeDirect
	// DegradeSpool writes the job to Config.Spool, a local durable file, and returns its id;
	// the spool's forwarder moves spooled jobs into the store in order once it answers. While
	// the spool holds jobs, new enqueues of this policy go to the spool too, so none overtakes
	// them. A full spool fails the enqueue with an error wrapping ErrSpoolFull. A job the
	// store did store before failing to answer is stored once: the forward is idempotent on
	// id. A Unique job found to be a duplicate when forwarded is dropped then (its id names
	// no job). Needs Config.Spool.
	DegradeSpool
)

// Forwarding defaults, overridable in [Config].
const (
	// DefaultForwardInterval is the forwarders' safety interval: 10 s. Forwarders wake on
	// commit (LISTEN/NOTIFY on PostgreSQL, an in-process signal on SQLite and for the spool);
	// the interval only bounds how late they see what no signal announced (another process's
	// SQLite commits, a notification lost with a dropped connection).
	DefaultForwardInterval = 10 * time.Second
	// DefaultForwardBatch is the most jobs one forwarding transaction moves: 1,000.
	DefaultForwardBatch = 1000
)

// ErrSpoolFull is wrapped by Enqueue's error when DegradeSpool found the spool full. It is
// the same sentinel as outbox.ErrFull.
var ErrSpoolFull = outbox.ErrFull

// durableState is a client's degradation state and counters.
type durableState struct {
	storeDown                               atomic.Bool // the latest store call failed
	spooled, forwarded, ranDirect, rejected atomic.Int64
}

// DurableStats are a client's degradation and forwarding figures since New.
type DurableStats struct {
	Degraded     bool  `json:"degraded"`      // see Client.Degraded
	Spooled      int64 `json:"spooled"`       // jobs written to the spool
	SpoolPending int64 `json:"spool_pending"` // spooled jobs not yet forwarded
	Forwarded    int64 `json:"forwarded"`     // jobs moved from the outbox or the spool into the store
	RanDirect    int64 `json:"ran_direct"`    // jobs run in-process by DegradeDirect
	Rejected     int64 `json:"rejected"`      // outbox and spool rows set aside, undecodable (see outbox.RejectedTable)
}

// Degraded reports whether the store failed to answer the client's latest call (an enqueue,
// a forward, a Ping), or the spool still holds jobs; /readyz reports it.
func (c *Client) Degraded() bool {
	return c.durable.storeDown.Load() || (c.cfg.Spool != nil && c.cfg.Spool.Pending() > 0)
}

// DurableStats returns the client's degradation and forwarding figures.
func (c *Client) DurableStats() DurableStats {
	s := DurableStats{Degraded: c.Degraded(), Spooled: c.durable.spooled.Load(),
		Forwarded: c.durable.forwarded.Load(), RanDirect: c.durable.ranDirect.Load(), Rejected: c.durable.rejected.Load()}
	if c.cfg.Spool != nil {
		s.SpoolPending = c.cfg.Spool.Pending()
	}
	return s
}

// resolveDurable checks the outbox and degradation settings.
func (r *resolved) resolveDurable(errs *[]error) {
	r.Degrade = cmp0(r.Degrade, DegradeFail)
	r.ForwardInterval = cmp0(r.ForwardInterval, DefaultForwardInterval)
	r.ForwardBatch = cmp0(r.ForwardBatch, DefaultForwardBatch)
	if r.ForwardInterval < 0 || r.ForwardBatch < 0 {
		*errs = append(*errs, fmt.Errorf("ForwardInterval %v and ForwardBatch %d: want positive values or 0 for the defaults",
			r.ForwardInterval, r.ForwardBatch))
	}
	check := func(who string, d Degrade) {
		switch d {
		case 0, DegradeFail:
		case DegradeDirect:
			if r.Handler == nil {
				*errs = append(*errs, fmt.Errorf("%s: DegradeDirect needs Config.Handler", who))
			}
		case DegradeSpool:
			if r.Spool == nil {
				*errs = append(*errs, fmt.Errorf("%s: DegradeSpool needs Config.Spool", who))
			}
		default:
			*errs = append(*errs, fmt.Errorf("%s: unknown Degrade %d", who, d))
		}
	}
	check("Config", r.Degrade)
	for name, tc := range r.Types {
		check(fmt.Sprintf("job type %q", name), tc.Degrade)
	}
}

func cmp0[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// policy returns the degradation policy of a call's jobs: theirs when they agree, else
// DegradeFail.
func (c *Client) policy(jobs []*Job) Degrade {
	var p Degrade
	for i, j := range jobs {
		jp := cmp0(c.cfg.types[j.Type].Degrade, c.cfg.Degrade)
		if i > 0 && jp != p {
			return DegradeFail
		}
		p = jp
	}
	return p
}

// spoolFirst spools jobs without asking the store while the spool still holds jobs, so that
// spooled jobs keep their order. ok reports that it handled the call.
func (c *Client) spoolFirst(ctx context.Context, now time.Time, jobs []*Job) (ids []string, ok bool, err error) {
	if c.cfg.Spool == nil || c.cfg.Spool.Pending() == 0 || c.policy(jobs) != DegradeSpool {
		return nil, false, nil
	}
	ids, err = c.spool(ctx, now, jobs, nil)
	return ids, true, err
}

// degrade applies the jobs' policy after the store failed with cause.
func (c *Client) degrade(ctx context.Context, now time.Time, jobs []*Job, cause error) ([]string, error) {
	c.durable.storeDown.Store(true)
	switch c.policy(jobs) {
	case DegradeSpool:
		return c.spool(ctx, now, jobs, cause)
	case DegradeDirect:
		return c.runDirect(ctx, jobs, cause)
	}
	return nil, cause
}

func (c *Client) spool(ctx context.Context, now time.Time, jobs []*Job, cause error) ([]string, error) {
	if err := c.cfg.Spool.Add(ctx, jobs); err != nil {
		if cause != nil {
			return nil, fmt.Errorf("%w; spooling failed too: %w", cause, err)
		}
		return nil, fmt.Errorf("slaq: enqueue: spool: %w", err)
	}
	c.durable.spooled.Add(int64(len(jobs)))
	why := "the spool holds earlier jobs"
	if cause != nil {
		why = cause.Error()
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
		c.events.emit(Event{Kind: EventSpooled, At: now, Job: j, Error: why})
	}
	return ids, nil
}

// runDirect runs each job's handler now, in order, each within its timeout.
func (c *Client) runDirect(ctx context.Context, jobs []*Job, cause error) ([]string, error) {
	ids := make([]string, len(jobs))
	var errs []error
	for i, j := range jobs {
		ids[i] = j.ID
		start := c.cfg.clock.Now()
		j.State, j.StartedAt = store.StateActive, ms(start)
		err := c.callDirect(ctx, j)
		end := c.cfg.clock.Now()
		c.durable.ranDirect.Add(1)
		ev := Event{Kind: EventRanDirect, At: end, Job: j, RunTime: end.Sub(start)}
		if err != nil {
			ev.Error = err.Error()
			errs = append(errs, fmt.Errorf("job %s failed: %w", j.ID, err))
		}
		c.events.emit(ev)
	}
	if len(errs) > 0 {
		return ids, fmt.Errorf("slaq: enqueue: the store did not answer (%v); ran the jobs directly: %w", cause, errors.Join(errs...))
	}
	return ids, nil
}

func (c *Client) callDirect(ctx context.Context, j *Job) (err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(j.TimeoutMs)*time.Millisecond)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return c.cfg.Handler.ProcessJob(ctx, j)
}
