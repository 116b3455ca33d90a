package service

import (
	"sync"
	"time"
)

// Clock tells the time and makes timers. [System] is the real one; [FakeClock] is stepped by
// tests.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer made by a Clock; its channel receives once when it fires.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it stopped it.
	Stop() bool
	// Reset makes the timer fire d from now (stopping it first).
	Reset(d time.Duration)
}

// System returns the system clock.
func System() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time                 { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time   { return r.t.C }
func (r realTimer) Stop() bool            { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) { r.t.Reset(d) }

// Nower is a clock that only tells the time, such as the one a user gives slaq.Config.
type Nower interface{ Now() time.Time }

// FromNower returns c itself when it is a [Clock], else a Clock that tells c's time and uses
// real timers. A nil c gives the system clock.
func FromNower(c Nower) Clock {
	switch v := c.(type) {
	case nil:
		return System()
	case Clock:
		return v
	default:
		return nowerClock{v}
	}
}

type nowerClock struct{ Nower }

func (nowerClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

// FakeClock is a Clock for tests: its time moves only when Advance or Set is called, and
// its timers fire when the time reaches them. Safe for concurrent use.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  map[*fakeTimer]struct{}
	created chan struct{} // signalled whenever a timer is made or reset
}

// NewFakeClock returns a FakeClock at t.
func NewFakeClock(t time.Time) *FakeClock {
	return &FakeClock{now: t, timers: make(map[*fakeTimer]struct{}), created: make(chan struct{}, 1)}
}

// Now returns the fake time.
func (f *FakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires once the fake time reaches now + d.
func (f *FakeClock) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// Advance moves the time forward by d and fires every timer that is due.
func (f *FakeClock) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the time to t (never backwards) and fires every timer that is due.
func (f *FakeClock) Set(t time.Time) {
	f.mu.Lock()
	if t.After(f.now) {
		f.now = t
	}
	now := f.now
	for ft := range f.timers {
		if !ft.at.After(now) {
			delete(f.timers, ft)
			select {
			case ft.c <- now:
			default:
			}
		}
	}
	f.mu.Unlock()
}

// Timers returns how many timers wait to fire.
func (f *FakeClock) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// TimerMade returns a channel that receives after a timer is made or reset (at most one
// pending notification), so a test can wait until a loop has armed its next timer.
func (f *FakeClock) TimerMade() <-chan struct{} { return f.created }

type fakeTimer struct {
	f  *FakeClock
	c  chan time.Time
	at time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	_, ok := t.f.timers[t]
	delete(t.f.timers, t)
	return ok
}

func (t *fakeTimer) Reset(d time.Duration) {
	f := t.f
	f.mu.Lock()
	select { // drain a fire that was not received, as time.Timer.Reset does since Go 1.23
	case <-t.c:
	default:
	}
	t.at = f.now.Add(d)
	if d <= 0 {
		delete(f.timers, t)
		t.c <- f.now
	} else {
		f.timers[t] = struct{}{}
	}
	f.mu.Unlock()
	select {
	case f.created <- struct{}{}:
	default:
	}
}
