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
// duplicate returns the id of the job that holds the key and stores nothing. Bad input returns
// an error wrapping [ErrInvalid] and stores nothing; a store failure that leaves the outcome
// unknown wraps [ErrOutcomeUnknown].
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
	res, err := c.enqueueJobs(ctx, now, jobs, true)
	var ids []string
	if res != nil {
		ids = make([]string, len(res))
		for i, r := range res {
			ids[i] = r.ID
		}
	}
	return ids, err
}

// enqueueJobs stores built jobs, or applies their degradation policy when the store does not
// answer (DegradeDirect only when direct is set; otherwise the store's error is returned). It
// emits EventEnqueued for every job stored. With DegradeDirect, both results and an error
// may come back (the jobs ran, some failed).
func (c *Client) enqueueJobs(ctx context.Context, now time.Time, jobs []*Job, direct bool) ([]store.EnqueueResult, error) {
	if ids, ok, err := c.spoolFirst(ctx, now, jobs); ok {
		return resultsOf(ids), err // keeps spooled jobs in order: none overtakes them while the spool drains
	}
	res, err := c.st.Enqueue(ctx, ms(now), jobs)
	if err != nil {
		if errors.Is(err, store.ErrClosed) {
			return nil, fmt.Errorf("slaq: enqueue: %w", err)
		}
		cause := fmt.Errorf("slaq: enqueue: %w: %w", ErrOutcomeUnknown, err)
		if !direct && c.policy(jobs) == DegradeDirect {
			c.durable.storeDown.Store(true)
			return nil, cause
		}
		ids, err := c.degrade(ctx, now, jobs, cause)
		return resultsOf(ids), err
	}
	c.durable.storeDown.Store(false)
	for i, r := range res {
		if !r.Duplicate {
			c.events.emit(Event{Kind: EventEnqueued, At: now, Job: jobs[i]})
		}
	}
	return res, nil
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
