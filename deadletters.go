package slaq

import (
	"context"
	"errors"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// RetryDeadLetter re-enqueues the dead-lettered job with id, under the same id, with fresh
// attempts and no unique key, then removes its dead-letter row. A failed job still in the
// store (not yet moved, or set aside because the database refused its row) is retried from
// the store. A crash between the steps leaves the row in place and the job enqueued: the job
// may then run twice, never zero times. A job that runs again already (retried twice) only
// loses its row.
func (c *Client) RetryDeadLetter(ctx context.Context, id string) error {
	if err := checkCtx(ctx, "retry dead letter"); err != nil {
		return err
	}
	if c.cfg.DeadLetters == nil {
		return errors.New("slaq: retry dead letter: the client has no dead-letter queue")
	}
	j, err := c.cfg.DeadLetters.Job(ctx, id)
	if errors.Is(err, ErrNotFound) {
		if sj, serr := c.st.Get(ctx, id); serr == nil && sj.State == store.StateFailed {
			j, err = sj, nil
		}
	}
	if err != nil {
		return fmt.Errorf("slaq: retry dead letter %s: %w", id, err)
	}
	tier, err := store.TierOfID(id)
	if err != nil {
		return fmt.Errorf("slaq: retry dead letter: %w", err)
	}
	// A copy still failed in the store (moved but not yet deleted) would make the enqueue a
	// duplicate; delete it first. Its row is in the dead-letter queue, so nothing is lost.
	if _, err := c.st.DeleteFailed(ctx, tier, []string{id}); err != nil {
		return fmt.Errorf("slaq: retry dead letter %s: %w", id, err)
	}
	now := ms(c.cfg.clock.Now())
	j.Tier, j.State, j.Attempts, j.RunAt, j.LastError = tier, store.StateWaiting, 0, now, ""
	j.StartedAt, j.FinishedAt, j.LeaseUntil, j.Result = 0, 0, 0, nil
	j.UniqueKey, j.UniqueTTLMs = "", 0
	if _, err := c.st.Enqueue(ctx, now, []*Job{j}); err != nil {
		return fmt.Errorf("slaq: retry dead letter %s: %w", id, err)
	}
	if _, err := c.cfg.DeadLetters.Delete(ctx, id); err != nil {
		return fmt.Errorf("slaq: retry dead letter %s: re-enqueued, but removing its row failed: %w", id, err)
	}
	c.events.emit(Event{Kind: EventEnqueued, At: c.cfg.clock.Now(), Job: j})
	return nil
}

// DeleteDeadLetter deletes the dead-lettered job with id: its row, and its record if it is
// still failed in the store. The error wraps [ErrNotFound] when neither held it.
func (c *Client) DeleteDeadLetter(ctx context.Context, id string) error {
	if err := checkCtx(ctx, "delete dead letter"); err != nil {
		return err
	}
	tier, err := store.TierOfID(id)
	if err != nil {
		return fmt.Errorf("slaq: delete dead letter: %w", err)
	}
	removed, err := c.st.DeleteFailed(ctx, tier, []string{id})
	if err != nil {
		return fmt.Errorf("slaq: delete dead letter %s: %w", id, err)
	}
	n := 0
	if c.cfg.DeadLetters != nil {
		if n, err = c.cfg.DeadLetters.Delete(ctx, id); err != nil {
			return fmt.Errorf("slaq: delete dead letter %s: %w", id, err)
		}
	}
	if n == 0 && len(removed) == 0 {
		return fmt.Errorf("slaq: delete dead letter %s: %w", id, ErrNotFound)
	}
	return nil
}

// DeadLettersSetAside returns the failed jobs whose rows the dead-letter database refused
// (job id → reason), which stay failed in the store: retry or delete them by id.
func (c *Client) DeadLettersSetAside() map[string]string {
	m := c.mover.Load()
	if m == nil {
		return map[string]string{}
	}
	return m.SetAside()
}
