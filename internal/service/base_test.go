package service

import (
	"context"
	"sync"
	"testing"
	"time"
)

// movingClock is a FakeClock that a test steps forward while the first timer is being made,
// as a test stepping the clock from another goroutine may.
type movingClock struct {
	*FakeClock
	once sync.Once
	by   time.Duration
}

func (m *movingClock) NewTimer(d time.Duration) Timer {
	m.once.Do(func() { m.Advance(m.by) })
	return m.FakeClock.NewTimer(d)
}

// SleepUntil wakes when the clock reaches its time, even when the clock moved while the
// timer was made (Sleep would then oversleep by that move); a time passed returns at once; a
// cancelled ctx returns false.
func TestSleepUntil(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clock := &movingClock{FakeClock: NewFakeClock(t0), by: 30 * time.Second}
	done := make(chan bool, 1)
	go func() { done <- SleepUntil(context.Background(), clock, t0.Add(time.Minute)) }()
	deadline := time.Now().Add(10 * time.Second)
	for clock.Timers() != 1 || clock.Now().Equal(t0) { // armed, after the move
		if time.Now().After(deadline) {
			t.Fatal("SleepUntil made no timer")
		}
		time.Sleep(time.Millisecond)
	}
	clock.Set(t0.Add(time.Minute))
	select {
	case ok := <-done:
		if !ok {
			t.Fatal("SleepUntil reported ctx done")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SleepUntil did not wake at its time: the timer was made late")
	}

	if !SleepUntil(context.Background(), clock, t0) {
		t.Error("a time already passed: want true at once")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if SleepUntil(ctx, clock, t0.Add(time.Hour)) {
		t.Error("cancelled ctx: want false")
	}
}
