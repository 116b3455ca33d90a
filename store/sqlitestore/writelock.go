package sqlitestore

import (
	"sync"

	"github.com/slaqhq/slaq/store"
)

// lowestPriority is the priority of writes that serve no tier's pickup: pause, cancel,
// clean, dead-letter deletions, the external-change check and Close.
const lowestPriority = store.NumTiers

// writeLock serializes the writer connection and favours urgent tiers: a write may take the
// free lock only if no more urgent write is waiting, and each release wakes the most urgent
// waiter. So a busy goroutine (a BATCH drain) cannot take the lock again and again ahead of
// a CRITICAL fetch that waits, yet a goroutine that finds the lock free and nothing more
// urgent waiting takes it at once, without a hand-over to a sleeping goroutine.
type writeLock struct {
	mu      sync.Mutex
	held    bool
	waiters [lowestPriority + 1][]chan struct{} // by priority (0 is CRITICAL), oldest first
	woken   [lowestPriority + 1]int             // waiters woken by unlock that have not run yet
}

// priorityOf returns the lock priority of a write for tier t.
func priorityOf(t store.Tier) int {
	if !t.Valid() {
		return lowestPriority
	}
	return t.Index()
}

// lock takes the lock with priority p (0 most urgent), waiting for its turn.
func (l *writeLock) lock(p int) { l.lockOr(p, nil, nil) }

// moreUrgentWaiting reports whether a write more urgent than p waits. l.mu must be held.
func (l *writeLock) moreUrgentWaiting(p int) bool {
	for i := range p {
		if len(l.waiters[i]) > 0 || l.woken[i] > 0 {
			return true
		}
	}
	return false
}

// unlock frees the lock and wakes the most urgent waiter, which counts as waiting until it
// runs, so that no less urgent write takes the lock in between.
func (l *writeLock) unlock() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held = false
	l.wakeNext()
}

// wakeNext wakes the most urgent waiter, if any. l.mu must be held.
func (l *writeLock) wakeNext() {
	for p, q := range l.waiters {
		if len(q) > 0 {
			close(q[0])
			q[0] = nil
			l.waiters[p] = q[1:]
			l.woken[p]++
			return
		}
	}
}

// lockOr takes the lock with priority p like lock, unless done or cancel is closed first
// (a nil channel never is): then it leaves the queue and reports false. It reports true
// when it took the lock.
func (l *writeLock) lockOr(p int, done, cancel <-chan struct{}) bool {
	l.mu.Lock()
	woken := false
	for l.held || l.moreUrgentWaiting(p) {
		turn := make(chan struct{})
		if woken {
			l.waiters[p] = append([]chan struct{}{turn}, l.waiters[p]...)
		} else {
			l.waiters[p] = append(l.waiters[p], turn)
		}
		l.mu.Unlock()
		select {
		case <-turn:
		case <-done:
			return l.giveUp(p, turn)
		case <-cancel:
			return l.giveUp(p, turn)
		}
		l.mu.Lock()
		l.woken[p]--
		woken = true
	}
	l.held = true
	l.mu.Unlock()
	return true
}

// giveUp takes the waiter turn of priority p out of the queue and reports false.
func (l *writeLock) giveUp(p int, turn chan struct{}) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leave(p, turn)
	return false
}

// leave removes the waiter turn of priority p that gives up. If unlock had already woken it,
// the turn passes on to the next waiter, as if it had taken the lock and freed it at once.
// l.mu must be held.
func (l *writeLock) leave(p int, turn chan struct{}) {
	select {
	case <-turn: // woken by unlock: it counts in l.woken, no longer in l.waiters
		l.woken[p]--
		if !l.held {
			l.wakeNext()
		}
		return
	default:
	}
	q := l.waiters[p]
	for i, c := range q {
		if c == turn {
			l.waiters[p] = append(q[:i:i], q[i+1:]...)
			return
		}
	}
}
