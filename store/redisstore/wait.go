package redisstore

import (
	"context"
	"errors"
	"fmt"
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
// Blocking calls use rueidis' pool of dedicated blocking connections (ToPipe routes them
// there, so that cancelling ctx aborts the call, with CLIENT UNBLOCK where the server allows
// it). A broken connection is dropped and the call retried once on a fresh one; if that fails
// too, Wait pauses for Options.WaitRetryDelay (at most d) and returns nil, so a caller looping
// on it does not spin while Redis is unreachable. It returns ctx's error when ctx is done, and
// an error wrapping store.ErrClosed when the store is closed or closes meanwhile.
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
	deadline := time.Now().Add(d)
	// Cancel the blocking call when the store closes.
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel)
	defer stop()

	for try := 0; ; try++ {
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		cmd := s.client.B().Bzpopmin().Key(k.marker).Timeout(max(left, minBlock).Seconds()).Build().ToPipe().UnblockOnCancel()
		err := s.client.Do(bctx, cmd).Error()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case s.closing.Err() != nil:
			return fmt.Errorf("redisstore: wait %s: %w", tier, store.ErrClosed)
		case err == nil || rueidis.IsRedisNil(err):
			return nil // woken, or timed out
		case try == 0 && !isRedisError(err):
			continue // the connection broke (killed, server restarted): retry on a fresh one
		}
		t := time.NewTimer(min(s.opts.WaitRetryDelay, left))
		select {
		case <-t.C:
		case <-bctx.Done():
			t.Stop()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return s.live()
	}
}

func isRedisError(err error) bool {
	var re *rueidis.RedisError
	return errors.As(err, &re)
}
