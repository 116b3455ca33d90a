package slaq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/slaqhq/slaq/store"
)

// DeadLetterQueue is where a client moves jobs whose attempts are exhausted. *dlq.DB
// implements it; Add must be idempotent on job id.
type DeadLetterQueue interface {
	// Add stores the failed jobs; adding a job id twice keeps one row.
	Add(ctx context.Context, jobs []*Job) error
	// Job returns the dead-lettered job with id as it died (state failed, its attempts and
	// last error), or an error wrapping store.ErrNotFound.
	Job(ctx context.Context, jobID string) (*Job, error)
	// Delete removes the given jobs' rows and returns how many it removed.
	Delete(ctx context.Context, jobIDs ...string) (int, error)
}

// Client enqueues jobs into a store and, once started with a Handler, runs them with one
// worker pool per tier. It is safe for concurrent use.
type Client struct {
	st    store.Store
	cfg   Config
	tiers tierSettings
	clock Clock
	log   Logger
	name  string
	stats [NumTiers]*latencyStats

	mu  sync.Mutex
	eng *engine
}

// New returns a client on st with cfg (see [Config] for defaults). The client does not own
// st: closing it is the caller's job, after Stop.
func New(st store.Store, cfg Config) (*Client, error) {
	if st == nil {
		return nil, errors.New("slaq: New needs a store")
	}
	ts, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	c := &Client{st: st, cfg: cfg, tiers: ts, clock: cfg.Clock, log: cfg.Logger, name: cfg.Name}
	if c.clock == nil {
		c.clock = systemClock{}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.name == "" {
		host, _ := os.Hostname()
		c.name = host + ":" + strconv.Itoa(os.Getpid())
	}
	if c.cfg.MaxPayloadBytes <= 0 {
		c.cfg.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	if c.cfg.BackoffJitter == 0 {
		c.cfg.BackoffJitter = DefaultBackoffJitter
	}
	if c.cfg.Retention == 0 {
		c.cfg.Retention = DefaultRetention
	}
	if c.cfg.KeepCompleted == 0 {
		c.cfg.KeepCompleted = DefaultKeepCompleted
	}
	defaults := []struct {
		v *time.Duration
		d time.Duration
	}{
		{&c.cfg.ShutdownGrace, DefaultShutdownGrace}, {&c.cfg.IdleWait, DefaultIdleWait},
		{&c.cfg.RescueInterval, DefaultRescueInterval}, {&c.cfg.CleanInterval, DefaultCleanInterval},
		{&c.cfg.DeadLetterRetry, DefaultDeadLetterRetry},
	}
	for _, d := range defaults {
		if *d.v <= 0 {
			*d.v = d.d
		}
	}
	if c.cfg.FetchBatch <= 0 {
		c.cfg.FetchBatch = DefaultFetchBatch
	}
	if c.cfg.AckBatch <= 0 {
		c.cfg.AckBatch = DefaultAckBatch
	}
	if c.cfg.LatencyWindow <= 0 {
		c.cfg.LatencyWindow = DefaultLatencyWindow
	}
	for i := range c.stats {
		c.stats[i] = newLatencyStats(c.cfg.LatencyWindow, c.tiers[i].SLA)
	}
	return c, nil
}

// Store returns the store the client works on.
func (c *Client) Store() store.Store { return c.st }

// Request is one job of a bulk enqueue.
type Request struct {
	Type    string
	Payload any // JSON-encoded unless it is []byte or json.RawMessage holding JSON already
	Options []Option
}

// Enqueue stores one job of type typ and returns its id. payload is encoded as JSON unless it
// is a []byte or json.RawMessage, which must hold valid JSON. With [Unique], a duplicate
// returns the id of the job that holds the key and stores nothing. Bad input returns an error
// wrapping [ErrInvalid] and stores nothing.
func (c *Client) Enqueue(ctx context.Context, typ string, payload any, opts ...Option) (string, error) {
	ids, err := c.EnqueueBulk(ctx, []Request{{Type: typ, Payload: payload, Options: opts}})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// EnqueueBulk stores many jobs in one step and returns their ids in order. If any request is
// invalid, nothing is stored.
func (c *Client) EnqueueBulk(ctx context.Context, reqs []Request) ([]string, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	now := c.clock.Now()
	jobs := make([]*Job, len(reqs))
	for i, r := range reqs {
		j, err := c.buildJob(now, r)
		if err != nil {
			if len(reqs) > 1 {
				return nil, fmt.Errorf("slaq: enqueue request %d: %w", i, err)
			}
			return nil, fmt.Errorf("slaq: enqueue: %w", err)
		}
		jobs[i] = j
	}
	res, err := c.st.Enqueue(ctx, ms(now), jobs)
	if err != nil {
		return nil, fmt.Errorf("slaq: enqueue: %w", err)
	}
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	return ids, nil
}

func (c *Client) buildJob(now time.Time, r Request) (*Job, error) {
	if r.Type == "" {
		return nil, invalid("job type is empty")
	}
	var o enqueueOptions
	for _, opt := range r.Options {
		opt(&o)
	}
	if len(o.errs) > 0 {
		return nil, invalid("%s", o.errs[0])
	}
	tc := c.cfg.Types[r.Type]
	tier := o.tier
	if tier == 0 {
		tier = tc.Tier
	}
	if tier == 0 {
		tier = Medium
	}
	if !tier.Valid() {
		return nil, invalid("unknown tier %d: want 1-5 (CRITICAL, HIGH, MEDIUM, LOW, BATCH)", tier)
	}
	payload, err := encodePayload(r.Payload)
	if err != nil {
		return nil, err
	}
	if len(payload) > c.cfg.MaxPayloadBytes {
		return nil, invalid("payload is %d bytes, over the limit of %d", len(payload), c.cfg.MaxPayloadBytes)
	}
	ts := c.tiers[tier.Index()]
	first := func(vals ...time.Duration) time.Duration {
		for _, v := range vals {
			if v != 0 {
				return v
			}
		}
		return 0
	}
	maxAttempts := o.maxAttempts
	if maxAttempts == 0 {
		maxAttempts = tc.MaxAttempts
	}
	if maxAttempts == 0 {
		maxAttempts = ts.MaxAttempts
	}
	backoff := first(o.backoff, tc.Backoff, ts.Backoff)
	if backoff < 0 {
		backoff = 0
	}
	runAt := now
	if !o.runAt.IsZero() {
		runAt = o.runAt
	}
	if o.delay > 0 {
		runAt = now.Add(o.delay)
	}
	retain := c.cfg.Retention
	if o.retention != nil {
		retain = *o.retention
	}
	if retain < 0 {
		retain = 0
	}
	j := &Job{
		ID:          store.NewID(tier, ms(now)),
		Type:        r.Type,
		Tier:        tier,
		Payload:     payload,
		MaxAttempts: maxAttempts,
		TimeoutMs:   first(o.timeout, tc.Timeout, ts.Timeout).Milliseconds(),
		BackoffMs:   backoff.Milliseconds(),
		RunAt:       ms(runAt),
		CreatedAt:   ms(now),
		UniqueKey:   o.uniqueKey,
		RetainMs:    retain.Milliseconds(),
	}
	if j.RunAt < j.CreatedAt {
		j.RunAt = j.CreatedAt
	}
	if j.RunAt > j.CreatedAt {
		j.State = store.StateDelayed
	} else {
		j.State = store.StateWaiting
	}
	if o.uniqueKey != "" {
		ttl := o.uniqueTTL
		if ttl <= 0 {
			ttl = DefaultUniqueTTL
		}
		j.UniqueTTLMs = ttl.Milliseconds()
	}
	return j, nil
}

func encodePayload(p any) ([]byte, error) {
	switch v := p.(type) {
	case nil:
		return []byte("null"), nil
	case json.RawMessage:
		if !json.Valid(v) {
			return nil, invalid("payload is not valid JSON")
		}
		return append([]byte(nil), v...), nil
	case []byte:
		if !json.Valid(v) {
			return nil, invalid("payload is not valid JSON")
		}
		return append([]byte(nil), v...), nil
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, invalid("payload cannot be encoded as JSON: %v", err)
		}
		return b, nil
	}
}

// Job returns the job with id: from the store while it is waiting, delayed, active or kept
// after completion, else from the dead-letter queue. The error wraps [ErrNotFound] when
// neither has it.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	j, err := c.st.Get(ctx, id)
	if err == nil {
		return j, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("slaq: get job %s: %w", id, err)
	}
	if c.cfg.DeadLetters != nil {
		j, derr := c.cfg.DeadLetters.Job(ctx, id)
		if derr == nil {
			j.State = store.StateFailed
			return j, nil
		}
	}
	return nil, fmt.Errorf("slaq: job %s: %w", id, errors.Join(ErrNotFound, err))
}

// Pause stops every process sharing the store from starting jobs of tier t. Enqueues are
// still accepted.
func (c *Client) Pause(ctx context.Context, t Tier) error { return c.setPaused(ctx, t, true) }

// Resume undoes Pause.
func (c *Client) Resume(ctx context.Context, t Tier) error { return c.setPaused(ctx, t, false) }

func (c *Client) setPaused(ctx context.Context, t Tier, paused bool) error {
	if !t.Valid() {
		return invalid("unknown tier %d", t)
	}
	if err := c.st.SetPaused(ctx, t, paused); err != nil {
		verb := map[bool]string{true: "pause", false: "resume"}[paused]
		return fmt.Errorf("slaq: %s %s: %w", verb, t, err)
	}
	return nil
}

// RetryDeadLetter re-enqueues the dead-lettered job with id, with fresh attempts, and then
// removes its dead-letter row. A crash between the two steps leaves the row in place and the
// job enqueued: the job may then run twice, never zero times.
func (c *Client) RetryDeadLetter(ctx context.Context, id string) error {
	if c.cfg.DeadLetters == nil {
		return errors.New("slaq: retry dead letter: the client has no dead-letter queue")
	}
	j, err := c.cfg.DeadLetters.Job(ctx, id)
	if err != nil {
		return fmt.Errorf("slaq: retry dead letter %s: %w", id, err)
	}
	now := ms(c.clock.Now())
	j.State, j.Attempts, j.RunAt, j.LastError = store.StateWaiting, 0, now, ""
	j.StartedAt, j.FinishedAt, j.LeaseUntil, j.Result = 0, 0, 0, nil
	j.UniqueKey, j.UniqueTTLMs = "", 0
	if _, err := c.st.Enqueue(ctx, now, []*Job{j}); err != nil {
		return fmt.Errorf("slaq: retry dead letter %s: %w", id, err)
	}
	if _, err := c.cfg.DeadLetters.Delete(ctx, id); err != nil {
		return fmt.Errorf("slaq: retry dead letter %s: re-enqueued, but removing its row failed: %w", id, err)
	}
	return nil
}
