package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/store"
)

// minBlock is the shortest BZPOPMIN timeout Wait sends: Redis reads 0 as "forever", and its
// timeouts have millisecond resolution.
const minBlock = time.Millisecond

// Wait blocks on the tier's marker with BZPOPMIN until a script adds it (a job enqueued,
// handed back or rescued, the tier resumed), d passes, ctx is done or the store closes.
//
// d is kept on this process's clock, not the server's: Redis times blocked clients out only
// when its event loop next runs, on a quiet server every 1000/hz ms (100 ms at the default hz
// 10), so a 10 ms wait for a rate-limited lane would last ten times that and the lane would
// fall far short of its rate. Wait returns at d whatever the server does; its blocking call
// stays in flight until the server answers, shared by the next Wait of the tier (at most one
// BZPOPMIN per tier and store is in flight), and a marker it takes when no Wait is waiting
// any more makes the next Wait return at once: a wake-up is never lost to a call cut short.
// (A Wait that ends because ctx is done, the last on its call, aborts the call instead.)
//
// Blocking calls use rueidis' pool of dedicated blocking connections (ToPipe routes them
// there; Close aborts them, with CLIENT UNBLOCK where the server allows it). A broken
// connection is dropped and the call retried once on a fresh one; if that fails too, Wait
// pauses for Options.WaitRetryDelay (at most d) and returns nil, so a caller looping on it
// does not spin while Redis is unreachable. It returns ctx's error when ctx is done, and an
// error wrapping store.ErrClosed when the store is closed or closes meanwhile.
func (s *Store) Wait(ctx context.Context, tier store.Tier, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.live(); err != nil {
		return err
	}
	k, err := s.keys(tier)
	if err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	w := &s.waiters[tier.Index()]
	deadline := time.Now().Add(d)
	timer := time.NewTimer(d)
	defer timer.Stop()
	closed := func() error { return fmt.Errorf("redisstore: wait %s: %w", tier, store.ErrClosed) }
	retried := false
	for {
		c, woken := w.join(s, k, deadline)
		if woken {
			return nil
		}
		select {
		case <-timer.C:
			w.leave(c, true) // the caller fetches next: a marker c takes from now on is no news
			return nil
		case <-ctx.Done():
			w.leave(c, false)
			return ctx.Err()
		case <-s.closing.Done():
			w.leave(c, false)
			return closed()
		case <-c.done:
		}
		w.leave(c, true)
		switch {
		case c.popped:
			return nil
		case s.closing.Err() != nil:
			return closed()
		case c.err == nil: // the server timed the call out
			if time.Until(deadline) <= 0 {
				return nil
			}
			continue // it was an earlier Wait's shorter call: block for the rest of d
		case !retried && !isRedisError(c.err):
			retried = true
			continue // the connection broke (killed, server restarted): retry on a fresh one
		}
		t := time.NewTimer(min(s.opts.WaitRetryDelay, time.Until(deadline)))
		select {
		case <-t.C:
		case <-ctx.Done():
		case <-s.closing.Done():
		}
		t.Stop()
		if err := ctx.Err(); err != nil {
			return err
		}
		return s.live()
	}
}

// waiter is one tier's blocking call on its marker, shared by the tier's Waits in this store.
type waiter struct {
	mu    sync.Mutex
	call  *blockCall // the call in flight, nil when none
	woken bool       // a call took the marker when no Wait was waiting: the next returns at once
}

// blockCall is one BZPOPMIN in flight. Its fields after done are set before done is closed.
type blockCall struct {
	done     chan struct{}
	cancel   context.CancelFunc // aborts the call (CLIENT UNBLOCK)
	waiters  int                // Waits waiting on it (under waiter.mu)
	finished bool               // done is closed (under waiter.mu)
	popped   bool               // it took the marker
	err      error
}

// join returns the tier's call in flight, starting one that blocks until deadline when there
// is none, and counts the caller among its waiters; or reports a wake-up left by a call that
// took the marker after its waiters had left, and consumes it.
func (w *waiter) join(s *Store, k *tierKeys, deadline time.Time) (*blockCall, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.woken {
		w.woken = false
		return nil, true
	}
	c := w.call
	if c == nil {
		var ctx context.Context
		c = &blockCall{done: make(chan struct{})}
		ctx, c.cancel = context.WithCancel(s.closing)
		w.call = c
		go w.block(ctx, s, k, c, time.Until(deadline))
	}
	c.waiters++
	return c, false
}

// leave uncounts a waiter of c; consumed says whether it returns to a caller that fetches
// next, so that a marker c already took needs no keeping. The last waiter to leave without
// fetching (its ctx is done: a fetcher stopping) aborts c, so that a call nobody will act on
// does not take a marker another process's Wait is blocked for.
func (w *waiter) leave(c *blockCall, consumed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c.waiters--
	if c.waiters > 0 || consumed {
		return
	}
	if !c.finished {
		c.cancel()
		if w.call == c {
			w.call = nil // the next Wait blocks afresh
		}
	} else if c.popped {
		w.woken = true
	}
}

// block runs c: BZPOPMIN with a server timeout of d (at least minBlock), aborted when ctx is
// (the store closes, or leave aborts it). Returning, it keeps a marker it took if no Wait
// waits on c any more.
func (w *waiter) block(ctx context.Context, s *Store, k *tierKeys, c *blockCall, d time.Duration) {
	defer c.cancel()
	cmd := s.client.B().Bzpopmin().Key(k.marker).Timeout(max(d, minBlock).Seconds()).Build().ToPipe().UnblockOnCancel()
	err := s.client.Do(ctx, cmd).Error()
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err == nil:
		c.popped = true
	case !rueidis.IsRedisNil(err):
		c.err = err
	}
	c.finished = true
	if w.call == c {
		w.call = nil
	}
	if c.popped && c.waiters == 0 {
		w.woken = true
	}
	close(c.done)
}

func isRedisError(err error) bool {
	var re *rueidis.RedisError
	return errors.As(err, &re)
}
