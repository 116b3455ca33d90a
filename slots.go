package slaq

import (
	"context"
	"sync"
)

// slots accounts for every worker of the process. A worker belongs to a home tier; it runs
// its home tier's jobs first. With upward help, a worker whose home tier has no work runs jobs
// of a more urgent tier whose own workers are all busy. With elastic lending, a worker whose
// home tier has no work runs jobs of a less urgent tier, as long as its home tier keeps
// Reserve workers idle and the borrowing tier stays under its MaxWorkers.
//
// Each tier's fetcher takes slots before it fetches (so a fetch never claims more jobs than
// there are workers to start them at once) and gives back what it did not fill.
type slots struct {
	mu         sync.Mutex
	own        [NumTiers]int  // workers per home tier
	busy       [NumTiers]int  // busy workers per home tier (running or taken for a fetch)
	running    [NumTiers]int  // jobs per job tier, on any home
	noWork     [NumTiers]bool // the tier's fetcher found no work: its idle workers may help
	waiting    [NumTiers]bool // the tier's fetcher waits for a slot
	wake       [NumTiers]chan struct{}
	upward     bool
	elastic    bool
	reserve    [NumTiers]int
	maxWorkers [NumTiers]int // 0: no limit
}

func newSlots(ts tierSettings, upward, elastic bool) *slots {
	s := &slots{upward: upward, elastic: elastic}
	for i, t := range ts {
		s.own[i] = t.Workers
		s.reserve[i] = min(t.Reserve, t.Workers)
		s.maxWorkers[i] = t.MaxWorkers
		s.wake[i] = make(chan struct{}, 1)
	}
	return s
}

// grant is a set of slots taken for one tier's fetch: how many from each home tier.
type grant [NumTiers]int

func (g grant) total() int {
	n := 0
	for _, v := range g {
		n += v
	}
	return n
}

// plan computes, under s.mu, the slots tier j could take now, up to n.
func (s *slots) plan(j, n int) (g grant) {
	k := min(n, s.own[j]-s.busy[j])
	g[j] = max(k, 0)
	k = g[j]
	if k < n && s.upward {
		for h := NumTiers - 1; h > j && k < n; h-- {
			if s.noWork[h] {
				x := min(n-k, s.own[h]-s.busy[h])
				if x > 0 {
					g[h], k = x, k+x
				}
			}
		}
	}
	if k < n && s.elastic {
		room := n - k
		if s.maxWorkers[j] > 0 {
			room = min(room, s.maxWorkers[j]-s.running[j]-k)
		}
		for h := j - 1; h >= 0 && room > 0; h-- {
			if s.noWork[h] && !s.moreUrgentBorrower(h, j) {
				x := min(room, s.own[h]-s.busy[h]-s.reserve[h])
				if x > 0 {
					g[h], room = x, room-x
				}
			}
		}
	}
	return g
}

// moreUrgentBorrower reports whether a tier between lender h and borrower j (more urgent
// than j) waits for a slot: lent workers go to the most urgent borrower first.
func (s *slots) moreUrgentBorrower(h, j int) bool {
	for k := h + 1; k < j; k++ {
		if s.waiting[k] && (s.maxWorkers[k] == 0 || s.running[k] < s.maxWorkers[k]) {
			return true
		}
	}
	return false
}

// take blocks until tier j can take at least one slot, then takes up to n.
func (s *slots) take(ctx context.Context, j, n int) (grant, error) {
	for {
		s.mu.Lock()
		g := s.plan(j, n)
		if k := g.total(); k > 0 {
			for h, x := range g {
				s.busy[h] += x
			}
			s.running[j] += k
			s.waiting[j] = false
			s.mu.Unlock()
			return g, nil
		}
		s.waiting[j] = true
		s.mu.Unlock()
		select {
		case <-s.wake[j]:
		case <-ctx.Done():
			s.mu.Lock()
			s.waiting[j] = false
			s.mu.Unlock()
			return grant{}, ctx.Err()
		}
	}
}

// giveBack returns unused slots of a grant for tier j: borrowed ones first.
func (s *slots) giveBack(j int, g *grant, unused int) {
	if unused <= 0 {
		return
	}
	s.mu.Lock()
	s.running[j] -= unused
	for h := range g {
		if h == j {
			continue
		}
		x := min(unused, g[h])
		g[h] -= x
		s.busy[h] -= x
		unused -= x
	}
	x := min(unused, g[j])
	g[j] -= x
	s.busy[j] -= x
	s.notifyLocked()
	s.mu.Unlock()
}

// done frees the slot of home h that ran a job of tier j.
func (s *slots) done(h, j int) {
	s.mu.Lock()
	s.busy[h]--
	s.running[j]--
	s.notifyLocked()
	s.mu.Unlock()
}

// setNoWork records whether tier j's fetcher has work; idle workers of a tier without work
// may help or be lent.
func (s *slots) setNoWork(j int, v bool) {
	s.mu.Lock()
	s.noWork[j] = v
	if v {
		s.notifyLocked()
	}
	s.mu.Unlock()
}

// notifyLocked wakes every waiting fetcher that can now take a slot, most urgent first; each
// takes what it can under the lock, so a slot a more urgent fetcher took is not double-counted.
func (s *slots) notifyLocked() {
	for j := range NumTiers {
		if s.waiting[j] && s.plan(j, 1).total() > 0 {
			// waiting[j] stays set until j's fetcher has taken its slots, so a less urgent
			// borrower woken with it does not take the lent workers first.
			select {
			case s.wake[j] <- struct{}{}:
			default:
			}
		}
	}
}

// snapshot returns busy workers per home tier.
func (s *slots) snapshot() (busy [NumTiers]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.busy
}
