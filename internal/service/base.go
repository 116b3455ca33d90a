package service

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Logger is the logging services need; *slog.Logger satisfies it.
type Logger interface {
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// ErrStarted is returned by Start on a service that runs already.
var ErrStarted = errors.New("service: already started")

// Loop runs one background function under the start/stop contract every slaq service shares:
//
//   - Start(ctx, run) starts run(ctx') on a goroutine and returns at once. ctx' is cancelled by
//     Stop, or when ctx is cancelled (cancelling Start's ctx is a hard stop of the loop).
//   - Stop cancels ctx' and waits for run to return. Stop on a loop that never started, or a
//     second Stop, returns at once.
//   - Done returns a channel closed when run has returned.
//
// A Loop is single-use: it can be started once.
type Loop struct {
	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start starts run on a goroutine; see Loop.
func (l *Loop) Start(ctx context.Context, run func(ctx context.Context)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return ErrStarted
	}
	l.started = true
	ctx, l.cancel = context.WithCancel(ctx)
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		run(ctx)
	}()
	return nil
}

// Stop cancels the loop's context and waits for it to return.
func (l *Loop) Stop() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Done returns a channel that is closed once the loop has returned (nil before Start).
func (l *Loop) Done() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done
}

// Every calls f every d, on clock's timers, until ctx is done; f gets ctx.
// The next call is timed from the end of the previous one, so calls never overlap.
func Every(ctx context.Context, clock Clock, d time.Duration, f func(context.Context)) {
	t := clock.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			f(ctx)
			t.Reset(d)
		}
	}
}

// SleepUntilSlack is how far a clock may move while SleepUntil makes its timer before the
// timer is made again: 1 ms. A real clock moves microseconds; a FakeClock moves in a test's
// steps.
const SleepUntilSlack = time.Millisecond

// SleepUntil waits until clock's time reaches t, or until ctx is done; it reports whether t
// was reached. Unlike Sleep(ctx, clock, t.Sub(clock.Now())), it does not oversleep when the
// clock moves between reading the time and making the timer (a FakeClock stepped by a test
// meanwhile): a timer made more than SleepUntilSlack late is made again.
func SleepUntil(ctx context.Context, clock Clock, t time.Time) bool {
	for {
		now := clock.Now()
		if !now.Before(t) {
			return ctx.Err() == nil
		}
		timer := clock.NewTimer(t.Sub(now))
		if clock.Now().Sub(now) > SleepUntilSlack {
			timer.Stop() // it may fire later than t: make it again
			continue
		}
		select {
		case <-timer.C():
			return true
		case <-ctx.Done():
			timer.Stop()
			return false
		}
	}
}

// Sleep waits d on clock, or until ctx is done; it reports whether d passed.
func Sleep(ctx context.Context, clock Clock, d time.Duration) bool {
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}
