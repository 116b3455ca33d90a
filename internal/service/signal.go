package service

import (
	"fmt"
	"time"
)

// SignalBuffer is how many signals a test signal holds before it drops new ones.
const SignalBuffer = 1024

// Signal is a test signal: production code calls Signal at a point a test wants to wait for
// ("the fetcher went idle", "the mover moved a batch"), and a test that called Init waits for
// it. Until Init is called, Signal does nothing and costs one nil check.
type Signal[T any] struct{ ch chan T }

// Init makes the signal record values; call it before the code under test starts.
func (s *Signal[T]) Init() { s.ch = make(chan T, SignalBuffer) }

// Signal records v if the signal was initialised; it never blocks (a full buffer drops v).
func (s *Signal[T]) Signal(v T) {
	if s.ch == nil {
		return
	}
	select {
	case s.ch <- v:
	default:
	}
}

// Wait returns the next recorded value, or an error after d.
func (s *Signal[T]) Wait(d time.Duration) (T, error) {
	var zero T
	if s.ch == nil {
		return zero, fmt.Errorf("service: Wait on a signal that was never initialised")
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case v := <-s.ch:
		return v, nil
	case <-t.C:
		return zero, fmt.Errorf("service: no signal within %s", d)
	}
}

// WaitFor returns the first recorded value for which ok holds, discarding others, or an
// error after d.
func (s *Signal[T]) WaitFor(d time.Duration, ok func(T) bool) (T, error) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			var zero T
			return zero, fmt.Errorf("service: no matching signal within %s", d)
		}
		v, err := s.Wait(left)
		if err != nil || ok(v) {
			return v, err
		}
	}
}
