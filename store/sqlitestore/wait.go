package sqlitestore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/slaqhq/slaq/store"
)

// signals are the per-tier broadcasts Wait blocks on.
type signals struct {
	mu   sync.Mutex
	tier [store.NumTiers]signal
}

// signal is one tier's broadcast: ch is closed and replaced on every wake-up.
type signal struct {
	ch      chan struct{}
	gen     uint64 // wake-ups so far
	fetched uint64 // gen when the tier's latest Fetch began
}

// init makes every tier's channel.
func (s *signals) init() {
	for i := range s.tier {
		s.tier[i].ch = make(chan struct{})
	}
}

// fire wakes every waiter of the tiers in set.
func (s *signals) fire(set tierSet) {
	if set == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range store.Tiers {
		if set.has(t) {
			sig := &s.tier[t.Index()]
			close(sig.ch)
			sig.ch = make(chan struct{})
			sig.gen++
		}
	}
}

// fetched records that a Fetch of t begins: it sees every wake-up fired so far.
func (s *signals) fetched(t store.Tier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tier[t.Index()].fetched = s.tier[t.Index()].gen
}

// Wait blocks until tier is woken (by an enqueue, retry, snooze, release, rescue or resume
// in this process, or a change by another process noticed by the external-change check),
// until d has passed, or until ctx is done. If the tier was woken since its latest Fetch
// began, Wait returns at once. It returns ctx's error when ctx is done, an error wrapping
// store.ErrClosed once the store is closed, else nil.
func (s *Store) Wait(ctx context.Context, tier store.Tier, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkTier(tier); err != nil {
		return fmt.Errorf("sqlitestore: wait: %w", err)
	}
	if s.closed.Load() {
		return errClosed("wait")
	}
	s.signals.mu.Lock()
	sig := &s.signals.tier[tier.Index()]
	missed, ch := sig.gen != sig.fetched, sig.ch
	s.signals.mu.Unlock()
	if missed {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return nil
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errClosed("wait")
	}
}

// startExternalCheck reads the writer connection's data_version, then starts the goroutine
// that re-reads it every ExternalChangeInterval and wakes every tier when another
// connection (another process) committed in between.
func (s *Store) startExternalCheck(ctx context.Context) error {
	last, err := s.dataVersion(ctx)
	if err != nil {
		return err
	}
	s.bg.Go(func() {
		tick := time.NewTicker(s.opts.ExternalChangeInterval)
		defer tick.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
			v, err := s.dataVersion(context.Background())
			if err != nil || v == last {
				continue // an error (e.g. a busy file) is retried on the next tick
			}
			last = v
			s.signals.fire(allTiers())
		}
	})
	return nil
}

// dataVersion reads PRAGMA data_version on the writer connection under the writer mutex.
// Commits through that connection do not change it; commits by any other connection do.
func (s *Store) dataVersion(ctx context.Context) (int64, error) {
	s.wmu.lock(lowestPriority)
	defer s.wmu.unlock()
	if s.closed.Load() {
		return 0, errClosed("data version")
	}
	var v int64
	if err := s.w.QueryRowContext(ctx, sqlDataVersion).Scan(&v); err != nil {
		return 0, fmt.Errorf("read data_version: %w", err)
	}
	return v, nil
}
