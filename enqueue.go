package slaq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slaqhq/slaq/store"
)

// Request is one job of a bulk enqueue.
type Request struct {
	Type    string   // the job type, e.g. "send_password_reset"
	Payload any      // JSON-encoded unless it is []byte or json.RawMessage holding JSON already
	Options []Option // as for Enqueue
}

// Enqueue stores one job of type typ and returns its id. payload is encoded as JSON unless it
// is a []byte or json.RawMessage, which must hold valid JSON in valid UTF-8. With [Unique], a
// duplicate returns the id of the job that holds the key and stores nothing ([Client.Submit]
// says whether it was a duplicate). Bad input returns an error wrapping [ErrInvalid] and
// stores nothing; a store failure that leaves the outcome unknown wraps [ErrOutcomeUnknown].
func (c *Client) Enqueue(ctx context.Context, typ string, payload any, opts ...Option) (string, error) {
	ids, err := c.EnqueueBulk(ctx, []Request{{Type: typ, Payload: payload, Options: opts}})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// EnqueueBulk stores many jobs and returns their ids in order. If any request is invalid,
// nothing is stored. The jobs of one tier are stored in one atomic step; on Redis, jobs of
// different tiers are stored tier by tier (each tier is its own Cluster slot), so a store
// failure may leave some tiers stored and not others (the error wraps [ErrOutcomeUnknown]).
func (c *Client) EnqueueBulk(ctx context.Context, reqs []Request) ([]string, error) {
	subs, err := c.SubmitBulk(ctx, reqs)
	if subs == nil {
		return nil, err
	}
	ids := make([]string, len(subs))
	for i, s := range subs {
		ids[i] = s.ID
	}
	return ids, err
}

// Submitted is what became of one enqueue request.
type Submitted struct {
	// ID is the stored job's id; with Duplicate, the id of the job that holds the unique key
	// (or that was already stored under the same id).
	ID string
	// Tier is the tier the job was put in (the holder's tier for a duplicate: unique keys are
	// scoped per tier, so it is the same).
	Tier Tier
	// Duplicate reports that nothing was stored: a job holding the same [Unique] key in the
	// same tier was enqueued less than its TTL ago (and was not cancelled since).
	Duplicate bool
	// Spooled reports that the store did not answer and the job was written to the local
	// spool ([DegradeSpool]); it is forwarded later, and its unique key is checked then.
	Spooled bool
	// Direct reports that the store did not answer and the job's handler was run in this
	// process at once ([DegradeDirect]).
	Direct bool
}

// Submit is [Client.Enqueue] that also says whether the job was a duplicate, spooled or run
// directly.
func (c *Client) Submit(ctx context.Context, typ string, payload any, opts ...Option) (Submitted, error) {
	subs, err := c.SubmitBulk(ctx, []Request{{Type: typ, Payload: payload, Options: opts}})
	if len(subs) == 0 {
		return Submitted{}, err
	}
	return subs[0], err
}

// SubmitBulk is [Client.EnqueueBulk] that says, per request, whether it was a duplicate,
// spooled or run directly. Duplicates within one call are reported like duplicates of a
// stored job: the first request holding a key is stored, the others name it.
func (c *Client) SubmitBulk(ctx context.Context, reqs []Request) ([]Submitted, error) {
	if err := checkCtx(ctx, "enqueue"); err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	now := c.cfg.clock.Now()
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
	return c.enqueueJobs(ctx, now, jobs, true)
}

// enqueueJobs stores built jobs, or applies their degradation policy when the store does not
// answer (DegradeDirect only when direct is set; otherwise the store's error is returned). It
// emits EventEnqueued for every job stored. With DegradeDirect, both results and an error
// may come back (the jobs ran, some failed).
func (c *Client) enqueueJobs(ctx context.Context, now time.Time, jobs []*Job, direct bool) ([]Submitted, error) {
	if ids, ok, err := c.spoolFirst(ctx, now, jobs); ok {
		return degraded(jobs, ids, true), err // keeps spooled jobs in order: none overtakes them while the spool drains
	}
	res, err := c.st.Enqueue(ctx, ms(now), jobs)
	if err != nil {
		if errors.Is(err, store.ErrClosed) {
			return nil, fmt.Errorf("slaq: enqueue: %w", err)
		}
		cause := fmt.Errorf("slaq: enqueue: %w: %w", ErrOutcomeUnknown, err)
		policy := c.policy(jobs)
		if !direct && policy == DegradeDirect {
			c.durable.storeDown.Store(true)
			return nil, cause
		}
		ids, err := c.degrade(ctx, now, jobs, cause)
		return degraded(jobs, ids, policy == DegradeSpool), err
	}
	c.durable.storeDown.Store(false)
	subs := make([]Submitted, len(res))
	for i, r := range res {
		subs[i] = Submitted{ID: r.ID, Tier: jobs[i].Tier, Duplicate: r.Duplicate}
		if !r.Duplicate {
			c.events.emit(Event{Kind: EventEnqueued, At: now, Job: jobs[i]})
		}
	}
	return subs, nil
}

// degraded reports the jobs that a degradation policy spooled or ran directly (nil when ids is).
func degraded(jobs []*Job, ids []string, spooled bool) []Submitted {
	if ids == nil {
		return nil
	}
	subs := make([]Submitted, len(ids))
	for i, id := range ids {
		subs[i] = Submitted{ID: id, Tier: jobs[i].Tier, Spooled: spooled, Direct: !spooled}
	}
	return subs
}

// buildJob checks one request and makes its job record, with settings resolved in order:
// the enqueue's options, the job type's config, the tier's config.
func (c *Client) buildJob(now time.Time, r Request) (*Job, error) {
	if err := c.checkType(r.Type); err != nil {
		return nil, err
	}
	var o enqueueOptions
	for _, opt := range r.Options {
		opt(&o)
	}
	if len(o.errs) > 0 {
		return nil, invalid("%s", o.errs[0])
	}
	if o.uniqueKey != "" {
		if err := checkText("unique key", o.uniqueKey, DefaultMaxUniqueKeyLength); err != nil {
			return nil, err
		}
	}
	tc := c.cfg.types[r.Type]
	tier := Medium
	switch {
	case o.tierSet:
		tier = o.tier
	case tc.Tier != 0:
		tier = tc.Tier
	}
	payload, err := encodePayload(r.Payload)
	if err != nil {
		return nil, err
	}
	if len(payload) > c.cfg.MaxPayloadBytes {
		return nil, invalid("payload is %d bytes, over the limit of %d", len(payload), c.cfg.MaxPayloadBytes)
	}
	ts := c.cfg.tiers[tier.Index()]
	runAt := now
	if !o.runAt.IsZero() && o.runAt.After(now) {
		runAt = o.runAt
	}
	if o.delay > 0 {
		runAt = now.Add(o.delay)
	}
	j := &Job{
		ID:          store.NewID(tier, ms(now)),
		Type:        r.Type,
		Tier:        tier,
		Payload:     payload,
		State:       store.StateWaiting,
		MaxAttempts: firstSet(o.maxAttempts, tc.MaxAttempts, ts.MaxAttempts),
		TimeoutMs:   firstSet(o.timeout, tc.Timeout, ts.Timeout).Milliseconds(),
		BackoffMs:   max(firstSet(o.backoff, tc.Backoff, ts.Backoff), 0).Milliseconds(),
		RunAt:       ms(runAt),
		CreatedAt:   ms(now),
		UniqueKey:   o.uniqueKey,
		RetainMs:    max(firstSet(o.retention, tc.Retention, c.cfg.Retention), 0).Milliseconds(),
	}
	if j.RunAt > j.CreatedAt {
		j.State = store.StateDelayed
	}
	if o.uniqueKey != "" {
		j.UniqueTTLMs = firstSet(o.uniqueTTL, DefaultUniqueTTL).Milliseconds()
	}
	return j, nil
}

// firstSet returns the first value that is not zero (None counts as set), else zero.
func firstSet[T int | time.Duration](vals ...T) T {
	for _, v := range vals {
		if v != 0 {
			return v
		}
	}
	return 0
}

// checkType refuses a job type that is empty, too long, not UTF-8 or holds control
// characters: such a type could not be stored in every dead-letter database, or read by an
// operator.
func (c *Client) checkType(typ string) error {
	if typ == "" {
		return invalid("job type is empty")
	}
	return checkText("job type", typ, c.cfg.MaxTypeLength)
}

func checkText(what, s string, maxLen int) error {
	if len(s) > maxLen {
		return invalid("%s is %d bytes, over the limit of %d", what, len(s), maxLen)
	}
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", what)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalid("%s %q holds a control character", what, s)
		}
	}
	return nil
}

func encodePayload(p any) ([]byte, error) {
	var b []byte
	switch v := p.(type) {
	case nil:
		return []byte("null"), nil
	case json.RawMessage:
		b = append([]byte(nil), v...)
	case []byte:
		b = append([]byte(nil), v...)
	default:
		enc, err := json.Marshal(v)
		if err != nil {
			return nil, invalid("payload cannot be encoded as JSON: %v", err)
		}
		return enc, nil // encoding/json writes valid UTF-8
	}
	if !json.Valid(b) {
		return nil, invalid("payload is not valid JSON")
	}
	if !utf8.Valid(b) {
		return nil, invalid("payload is not valid UTF-8 (JSON text must be)")
	}
	return b, nil
}
