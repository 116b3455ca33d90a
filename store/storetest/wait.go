package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// startWait runs s.Wait(ctx, tier, d) in a goroutine and returns the channel of its result.
func startWait(ctx context.Context, s store.Store, tier store.Tier, d time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Wait(ctx, tier, d) }()
	return done
}

// wantWoken starts a Wait on tier with d = longWait and fails the test unless it returns nil
// within promptDeadline after trigger. A cause that happens before Wait registers need not wake
// it, so trigger is repeated every retrigger until Wait returns.
func wantWoken(t *testing.T, s store.Store, tier store.Tier, trigger func(i int)) {
	t.Helper()
	done := startWait(t.Context(), s, tier, longWait)
	deadline := time.NewTimer(promptDeadline)
	defer deadline.Stop()
	again := time.NewTicker(retrigger)
	defer again.Stop()
	trigger(0)
	for i := 1; ; i++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Wait returned %v, want nil", err)
			}
			return
		case <-again.C:
			trigger(i)
		case <-deadline.C:
			t.Fatalf("Wait(d=%v) still blocked %v after its cause", longWait, promptDeadline)
		}
	}
}

// runWait checks Wait's causes, its timeout, its cancellation and Close.
func runWait(t *testing.T, open func(t *testing.T) store.Store) {
	const tier = store.Critical

	t.Run("WokenByEnqueue", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		wantWoken(t, s, tier, func(int) { enqueue(t, s, Base, newJob(tier, Base)) })
	})

	t.Run("WokenByEarlierDelayed", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJob(tier, Base+3_600_000))
		fetch(t, s, tier, 1, Base) // learns NextRunAt = Base+1h, then waits
		runAt := Base + 60_000
		wantWoken(t, s, tier, func(int) {
			runAt-- // each trigger is earlier than every delayed job so far
			enqueue(t, s, Base, newJob(tier, runAt))
		})
	})

	t.Run("WokenByResume", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJob(tier, Base))
		setPaused := func(p bool) {
			if err := s.SetPaused(t.Context(), tier, p); err != nil {
				t.Fatal(err)
			}
		}
		setPaused(true)
		fetch(t, s, tier, 1, Base) // what an engine does before it waits
		wantWoken(t, s, tier, func(i int) {
			if i > 0 {
				setPaused(true)
			}
			setPaused(false)
		})
	})

	t.Run("WokenByRescue", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		enqueue(t, s, Base, newJob(tier, Base))
		now := Base
		fetchReq(t, s, store.FetchRequest{Tier: tier, Limit: 1, Now: now, LeaseMs: 10})
		wantWoken(t, s, tier, func(i int) {
			if i > 0 {
				fetchReq(t, s, store.FetchRequest{Tier: tier, Limit: 1, Now: now, LeaseMs: 10})
			}
			now += 100
			if n, err := s.Rescue(t.Context(), tier, now); err != nil || n != 1 {
				t.Errorf("Rescue = %d, %v; want 1", n, err)
			}
		})
	})

	t.Run("WokenByRelease", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		j := newJob(tier, Base)
		enqueue(t, s, Base, j)
		fetch(t, s, tier, 1, Base)
		wantWoken(t, s, tier, func(i int) {
			if i > 0 {
				fetch(t, s, tier, 1, Base)
			}
			ack(t, s, store.Ack{Kind: store.AckRelease, ID: j.ID, Now: Base})
		})
	})

	t.Run("WokenByFreedPlace", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		jobs := newJobs(3, tier, Base)
		enqueue(t, s, Base, jobs...)
		r := fetchReq(t, s, store.FetchRequest{Tier: tier, Limit: 3, Now: Base, LeaseMs: DefaultLeaseMs, Cap: 1})
		if len(r.Jobs) != 1 {
			t.Fatalf("a fetch under Cap 1 claimed %d jobs", len(r.Jobs))
		}
		// Take every wake-up still pending, so only the ack below can end the next Wait.
		for range 5 {
			start := time.Now()
			if err := s.Wait(t.Context(), tier, quietWindow); err != nil {
				t.Fatal(err)
			}
			if time.Since(start) >= quietWindow {
				break // nothing was pending
			}
		}
		done := startWait(t.Context(), s, tier, longWait)
		ack(t, s, store.Ack{Kind: store.AckComplete, ID: r.Jobs[0].ID, Now: Base + 1})
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Wait returned %v, want nil", err)
			}
		case <-time.After(promptDeadline):
			t.Fatalf("a run ending while jobs wait did not wake the tier within %v", promptDeadline)
		}
	})

	t.Run("NotWokenByOtherTier", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		// Spurious wake-ups are allowed, so one early return proves nothing; returning
		// early on every one of several tries means the other tier's enqueue woke it.
		const tries = 3
		early := 0
		for range tries {
			ctx, cancel := context.WithCancel(t.Context())
			done := startWait(ctx, s, tier, longWait)
			enqueue(t, s, Base, newJob(store.Batch, Base))
			select {
			case <-done:
				early++
				cancel()
				continue
			case <-time.After(quietWindow):
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Wait after cancel returned %v, want context.Canceled", err)
			}
		}
		if early == tries {
			t.Fatalf("Wait on %s returned early every time another tier got a job", tier)
		}
	})

	t.Run("TimesOut", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		done := startWait(t.Context(), s, tier, 20*time.Millisecond)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Wait returned %v after d, want nil", err)
			}
		case <-time.After(promptDeadline):
			t.Fatalf("Wait(d=20ms) still blocked after %v", promptDeadline)
		}
	})

	t.Run("Cancelled", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		done := startWait(ctx, s, tier, longWait)
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Wait returned %v, want context.Canceled", err)
			}
		case <-time.After(promptDeadline):
			t.Fatalf("Wait still blocked %v after its context was cancelled", promptDeadline)
		}
		expired, cancel2 := context.WithDeadline(t.Context(), time.Unix(0, 0))
		defer cancel2()
		if err := s.Wait(expired, tier, longWait); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait with an expired context returned %v, want context.DeadlineExceeded", err)
		}
	})

	t.Run("UnblockedByClose", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		// Close must end a Wait that blocks; one that starts after Close returns at once. Either
		// way the answer wraps ErrClosed. The Wait is watched for quietWindow first, so that
		// Close finds it blocked (Wait may return early without cause: then it starts again).
		var done <-chan error
		for blocked := false; !blocked; {
			done = startWait(t.Context(), s, tier, longWait)
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Wait before Close returned %v, want nil", err)
				}
			case <-time.After(quietWindow):
				blocked = true
			}
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		select {
		case err := <-done:
			wantErrIs(t, "Wait blocked when Close came", err, store.ErrClosed)
		case <-time.After(promptDeadline):
			t.Fatalf("Wait still blocked %v after Close", promptDeadline)
		}
		select {
		case err := <-startWait(t.Context(), s, tier, longWait):
			wantErrIs(t, "Wait after Close", err, store.ErrClosed)
		case <-time.After(promptDeadline):
			t.Fatalf("Wait on a closed store still blocked after %v", promptDeadline)
		}
	})
}
