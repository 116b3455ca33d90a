package slaq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/slaqhq/slaq/internal/engine"
	"github.com/slaqhq/slaq/internal/maint"
	"github.com/slaqhq/slaq/store"
)

// DeadLetterQueue is where a client moves jobs whose attempts are exhausted. *dlq.DB
// implements it.
type DeadLetterQueue interface {
	// Add stores the failed jobs; adding a job id twice keeps one row. It may store some jobs
	// and refuse others (bad data the database will not take): its error then has a method
	// Rejected() map[string]string (job id → reason), and every job not named there is stored.
	Add(ctx context.Context, jobs []*Job) error
	// Job returns the dead-lettered job with id as it died (state failed, its attempts and
	// last error), or an error wrapping ErrNotFound.
	Job(ctx context.Context, jobID string) (*Job, error)
	// Delete removes the given jobs' rows and returns how many it removed.
	Delete(ctx context.Context, jobIDs ...string) (int, error)
}

// Client enqueues jobs into a store and, once started with a Handler, runs them with one
// worker pool per tier. It is safe for concurrent use.
type Client struct {
	st     store.Store
	cfg    *resolved
	events *dispatcher

	mu    sync.Mutex                    // serialises Start and Stop; held while they run
	maint []maint.Service               // the running maintenance services; nil when stopped
	eng   atomic.Pointer[engine.Engine] // the latest engine (kept after Stop for its metrics)
	mover atomic.Pointer[maint.Mover]   // the latest dead-letter mover
	cron  atomic.Pointer[maint.Cron]    // the latest schedule firer

	schedules []*schedule // Config.Schedules, checked (schedules.go)

	deferrals counters // rate-limit deferrals by job type (limit.go)

	durable durableState // degradation and forwarding (degrade.go)

	testSignals bool // set by tests (export_test.go): Start initialises the engine's test signals
}

// New returns a client on st with cfg (see [Config] for defaults); an unusable cfg gives an
// error wrapping [ErrInvalidConfig] (and, for a bad schedule, [ErrInvalid] too). New starts
// nothing. The client does not own st: closing it is the caller's
// job, after Stop.
func New(st store.Store, cfg Config) (*Client, error) {
	if st == nil {
		return nil, errors.New("slaq: New needs a store")
	}
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	c := &Client{st: st, cfg: r}
	if err := c.resolveSchedules(); err != nil {
		return nil, fmt.Errorf("slaq: %w: %w", ErrInvalidConfig, err)
	}
	c.events = newDispatcher(r.Observers, r.EventBuffer, r.log)
	return c, nil
}

// Store returns the store the client works on.
func (c *Client) Store() store.Store { return c.st }

// Job returns the job with id: from the store while it is waiting, delayed, active, kept
// after completion or failed and not yet moved, else from the dead-letter queue. The error
// wraps [ErrNotFound] when neither has it; any other error means a store or database failed
// to answer.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	if err := checkCtx(ctx, "job"); err != nil {
		return nil, err
	}
	j, err := c.st.Get(ctx, id)
	if err == nil {
		return j, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("slaq: get job %s: %w", id, err)
	}
	if c.cfg.DeadLetters == nil {
		return nil, fmt.Errorf("slaq: job %s: %w", id, err)
	}
	j, err = c.cfg.DeadLetters.Job(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("slaq: job %s: %w", id, err)
	}
	j.State = store.StateFailed
	return j, nil
}

// ListRequest asks for one page of a tier's jobs in one state; see [store.ListRequest].
type ListRequest = store.ListRequest

// ListPage is one page of jobs; see [store.ListPage].
type ListPage = store.ListPage

// List returns one page of a tier's jobs in one state (waiting, delayed, active, completed,
// or failed and not yet moved to the dead-letter queue). Bad requests wrap [ErrInvalid].
func (c *Client) List(ctx context.Context, req ListRequest) (ListPage, error) {
	if err := checkCtx(ctx, "list"); err != nil {
		return ListPage{}, err
	}
	if !req.Tier.Valid() {
		return ListPage{}, fmt.Errorf("slaq: list: %w", invalid("unknown tier %d", req.Tier))
	}
	switch req.State {
	case store.StateWaiting, store.StateDelayed, store.StateActive, store.StateCompleted, store.StateFailed:
	default:
		return ListPage{}, fmt.Errorf("slaq: list: %w", invalid("unknown state %q", req.State))
	}
	if req.Limit < 1 || req.Limit > 1000 {
		return ListPage{}, fmt.Errorf("slaq: list: %w", invalid("limit %d: want 1 to 1000", req.Limit))
	}
	p, err := c.st.List(ctx, req)
	if err != nil {
		return ListPage{}, fmt.Errorf("slaq: list: %w", err)
	}
	return p, nil
}

// Cancel deletes the waiting or delayed job with id and releases its unique key. The error
// wraps [ErrNotFound] for an unknown job and [ErrNotCancellable] for one that runs, finished
// or failed.
func (c *Client) Cancel(ctx context.Context, id string) error {
	if err := checkCtx(ctx, "cancel"); err != nil {
		return err
	}
	if err := c.st.Cancel(ctx, id); err != nil {
		return fmt.Errorf("slaq: cancel %s: %w", id, err)
	}
	return nil
}

// Ping checks that the store, and the dead-letter queue when it has a Ping method, answer.
func (c *Client) Ping(ctx context.Context) error {
	if err := checkCtx(ctx, "ping"); err != nil {
		return err
	}
	if err := c.st.Ping(ctx); err != nil {
		c.durable.storeDown.Store(true)
		return fmt.Errorf("slaq: store: %w", err)
	}
	c.durable.storeDown.Store(false)
	if p, ok := c.cfg.DeadLetters.(interface{ Ping(context.Context) error }); ok {
		if err := p.Ping(ctx); err != nil {
			return fmt.Errorf("slaq: dead-letter queue: %w", err)
		}
	}
	return nil
}

// Pause stops every process sharing the store from starting jobs of tier t. Enqueues are
// still accepted.
func (c *Client) Pause(ctx context.Context, t Tier) error { return c.setPaused(ctx, t, true) }

// Resume undoes Pause.
func (c *Client) Resume(ctx context.Context, t Tier) error { return c.setPaused(ctx, t, false) }

func (c *Client) setPaused(ctx context.Context, t Tier, paused bool) error {
	verb := map[bool]string{true: "pause", false: "resume"}[paused]
	if err := checkCtx(ctx, verb); err != nil {
		return err
	}
	if !t.Valid() {
		return fmt.Errorf("slaq: %s: %w", verb, invalid("unknown tier %d", t))
	}
	if err := c.st.SetPaused(ctx, t, paused); err != nil {
		return fmt.Errorf("slaq: %s %s: %w", verb, t, err)
	}
	return nil
}

// EventsDropped returns how many events were dropped because the observers fell behind.
func (c *Client) EventsDropped() uint64 { return c.events.dropped.Load() }
