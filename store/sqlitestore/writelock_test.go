package sqlitestore

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// queued waits until the lock has n waiters of priority p, failing the test after a deadline.
func queued(t *testing.T, l *writeLock, p, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l.mu.Lock()
		got := len(l.waiters[p])
		l.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters of priority %d, want %d", got, p, n)
		}
		runtime.Gosched()
	}
}

func TestWriteLockUrgentFirst(t *testing.T) {
	t.Parallel()
	var l writeLock
	l.lock(lowestPriority)
	order := make(chan int, 3)
	var wg sync.WaitGroup
	start := func(p int) {
		wg.Go(func() {
			l.lock(p)
			order <- p
			l.unlock()
		})
	}
	start(4) // BATCH queues first,
	queued(t, &l, 4, 1)
	start(2) // then MEDIUM,
	queued(t, &l, 2, 1)
	start(0) // then CRITICAL:
	queued(t, &l, 0, 1)
	l.unlock()
	wg.Wait()
	close(order)
	var got []int
	for p := range order {
		got = append(got, p)
	}
	if len(got) != 3 || got[0] != 0 || got[1] != 2 || got[2] != 4 {
		t.Fatalf("lock order %v, want most urgent first: [0 2 4]", got)
	}
}

func TestWriteLockNoBargingPastUrgent(t *testing.T) {
	t.Parallel()
	var l writeLock
	l.lock(4)
	got := make(chan struct{})
	go func() { l.lock(0); close(got); l.unlock() }()
	queued(t, &l, 0, 1)
	l.unlock()
	l.lock(4) // a BATCH write that comes back at once must not pass the waiting CRITICAL one
	select {
	case <-got:
	default:
		t.Fatal("a BATCH write took the lock while a CRITICAL write was waiting")
	}
	l.unlock()
}

func TestWriteLockExclusive(t *testing.T) {
	t.Parallel()
	var (
		l       writeLock
		wg      sync.WaitGroup
		inside  int
		maxSeen int
		counter sync.Mutex
	)
	for g := range 8 {
		wg.Go(func() {
			for range 500 {
				l.lock(g % (lowestPriority + 1))
				counter.Lock()
				inside++
				maxSeen = max(maxSeen, inside)
				counter.Unlock()
				counter.Lock()
				inside--
				counter.Unlock()
				l.unlock()
			}
		})
	}
	wg.Wait()
	if maxSeen != 1 {
		t.Fatalf("%d writers held the lock at once, want 1", maxSeen)
	}
}

func TestWriteLockOrGivesUp(t *testing.T) {
	t.Parallel()
	var l writeLock
	l.lock(4)
	done := make(chan struct{})
	got := make(chan bool, 1)
	go func() { got <- l.lockOr(0, done, nil) }()
	queued(t, &l, 0, 1)
	close(done)
	if <-got {
		t.Fatal("lockOr took a held lock after done was closed")
	}
	queued(t, &l, 0, 0)
	l.unlock()
	l.lock(4) // nobody waits any more: a BATCH write takes the lock at once
	l.unlock()
}

// TestWriteLockOrPassesTurnOn checks that a waiter woken by unlock that gives up passes the
// lock on to the next waiter instead of leaving it free with waiters asleep.
func TestWriteLockOrPassesTurnOn(t *testing.T) {
	t.Parallel()
	var l writeLock
	l.lock(4)
	next := make(chan struct{})
	go func() { l.lock(2); close(next); l.unlock() }()
	queued(t, &l, 2, 1)
	turn := make(chan struct{})
	l.mu.Lock()
	l.waiters[1] = append(l.waiters[1], turn) // a priority-1 waiter, as lockOr queues it
	l.mu.Unlock()
	l.unlock() // wakes the priority-1 waiter first
	l.mu.Lock()
	l.leave(1, turn) // which gives up after it was woken
	l.mu.Unlock()
	select {
	case <-next:
	case <-time.After(groupDeadline):
		t.Fatal("the priority-2 waiter never got the lock after the woken waiter gave up")
	}
}
