package engine

import (
	"context"
	"sync"
	"time"

	"github.com/slaqhq/slaq/store"
)

const numTiers = store.NumTiers

// slots accounts for every worker of the process. A worker belongs to a home tier and runs
// its home tier's jobs first. With upward help, a worker whose home tier has no work runs jobs
// of a more urgent tier whose own workers are all busy. With lending, a worker whose home tier
// has no work runs jobs of a less urgent tier, as long as its home tier keeps Reserve workers
// idle and the borrower's recent run times fit within the lender's SLA target (so a lent
// worker comes back in time). MaxWorkers caps how many of a tier's jobs run at once, whoever's
// workers run them.
//
// Each tier's fetcher takes slots before it fetches (so a fetch never claims more jobs than
// there are workers to start them at once) and gives back what it did not fill.
type slots struct {
	mu         sync.Mutex
	own        [numTiers]int  // workers per home tier
	busy       [numTiers]int  // busy workers per home tier (running or taken for a fetch)
	running    [numTiers]int  // jobs per job tier, on any home
	noWork     [numTiers]bool // the tier's fetcher found no work: its idle workers may help
	waiting    [numTiers]bool // the tier's fetcher waits for a slot
	wake       [numTiers]chan struct{}
	upward     bool
	lending    bool
	reserve    [numTiers]int
	maxWorkers [numTiers]int           // 0: no limit
	sla        [numTiers]time.Duration // a lender's SLA target; 0: none (lends to any)
	runs       [numTiers]runWindow     // recent run times per job tier, for the lending rule
}

func newSlots(ts [numTiers]TierSettings, upward, lending bool, lendWindow int) *slots {
	s := &slots{upward: upward, lending: lending}
	for ti, t := range ts {
		s.own[ti] = t.Workers
		s.reserve[ti] = min(t.Reserve, t.Workers)
		s.maxWorkers[ti] = t.MaxWorkers
		s.sla[ti] = t.SLA
		s.wake[ti] = make(chan struct{}, 1)
		s.runs[ti] = newRunWindow(lendWindow)
	}
	return s
}

// grant is a set of slots taken for one tier's fetch: how many from each home tier.
type grant [numTiers]int

func (g grant) total() int {
	n := 0
	for _, v := range g {
		n += v
	}
	return n
}

// plan computes, under s.mu, the slots tier ti could take now, up to n: its own idle workers,
// then (upward help) idle workers of less urgent tiers without work, then (lending) idle
// workers above the reserve of more urgent tiers without work, nearest tier first. The total
// never takes tier ti's running jobs past its MaxWorkers.
func (s *slots) plan(ti, n int) (g grant) {
	if s.maxWorkers[ti] > 0 {
		n = min(n, s.maxWorkers[ti]-s.running[ti])
	}
	if n <= 0 {
		return g
	}
	k := max(min(n, s.own[ti]-s.busy[ti]), 0)
	g[ti] = k
	if k < n && s.upward {
		for h := numTiers - 1; h > ti && k < n; h-- {
			if s.noWork[h] {
				if x := min(n-k, s.own[h]-s.busy[h]); x > 0 {
					g[h], k = x, k+x
				}
			}
		}
	}
	if k < n && s.lending {
		for h := ti - 1; h >= 0 && k < n; h-- {
			if s.noWork[h] && s.lendsTo(h, ti) && !s.moreUrgentBorrower(h, ti) {
				if x := min(n-k, s.own[h]-s.busy[h]-s.reserve[h]); x > 0 {
					g[h], k = x, k+x
				}
			}
		}
	}
	return g
}

// lendsTo reports whether lender h may lend to borrower ti: the borrower's recent runs (in
// this process) were all short enough that a lent worker comes back within h's SLA target.
// A borrower with no recorded run yet borrows nothing: its own workers run first and teach
// the rule how long its jobs take.
func (s *slots) lendsTo(h, ti int) bool {
	r := &s.runs[ti]
	if r.n == 0 {
		return false
	}
	return s.sla[h] == 0 || r.max <= s.sla[h]
}

// moreUrgentBorrower reports whether a tier between lender h and borrower ti (more urgent
// than ti) waits for a slot it could borrow from h: lent workers go to the most urgent
// borrower first.
func (s *slots) moreUrgentBorrower(h, ti int) bool {
	for k := h + 1; k < ti; k++ {
		if s.waiting[k] && (s.maxWorkers[k] == 0 || s.running[k] < s.maxWorkers[k]) && s.lendsTo(h, k) {
			return true
		}
	}
	return false
}

// take blocks until tier ti can take at least one slot, then takes up to n. onWait, when set,
// is called each time the fetcher finds no slot and is about to wait (a test signal).
func (s *slots) take(ctx context.Context, ti, n int, onWait func()) (grant, error) {
	for {
		s.mu.Lock()
		g := s.plan(ti, n)
		if k := g.total(); k > 0 {
			for h, x := range g {
				s.busy[h] += x
			}
			s.running[ti] += k
			s.waiting[ti] = false
			s.mu.Unlock()
			return g, nil
		}
		s.waiting[ti] = true
		s.mu.Unlock()
		if onWait != nil {
			onWait()
		}
		select {
		case <-s.wake[ti]:
		case <-ctx.Done():
			s.mu.Lock()
			s.waiting[ti] = false
			s.mu.Unlock()
			return grant{}, ctx.Err()
		}
	}
}

// giveBack returns unused slots of a grant for tier ti: borrowed ones first.
func (s *slots) giveBack(ti int, g *grant, unused int) {
	if unused <= 0 {
		return
	}
	s.mu.Lock()
	s.running[ti] -= unused
	for h := range g {
		if h == ti {
			continue
		}
		x := min(unused, g[h])
		g[h] -= x
		s.busy[h] -= x
		unused -= x
	}
	x := min(unused, g[ti])
	g[ti] -= x
	s.busy[ti] -= x
	s.notifyLocked()
	s.mu.Unlock()
}

// done frees the slot of home h that ran a job of tier ti for runTime (< 0: not recorded,
// e.g. a run handed back at shutdown).
func (s *slots) done(h, ti int, runTime time.Duration) {
	s.mu.Lock()
	s.busy[h]--
	s.running[ti]--
	if runTime >= 0 {
		s.runs[ti].add(runTime)
	}
	s.notifyLocked()
	s.mu.Unlock()
}

// setNoWork records whether tier ti's fetcher has work; idle workers of a tier without work
// may help or be lent.
func (s *slots) setNoWork(ti int, v bool) {
	s.mu.Lock()
	s.noWork[ti] = v
	if v {
		s.notifyLocked()
	}
	s.mu.Unlock()
}

// notifyLocked wakes every waiting fetcher that can now take a slot, most urgent first; each
// takes what it can under the lock, so a slot a more urgent fetcher took is not double-counted.
func (s *slots) notifyLocked() {
	for ti := range numTiers {
		if s.waiting[ti] && s.plan(ti, 1).total() > 0 {
			// waiting[ti] stays set until ti's fetcher has taken its slots, so a less urgent
			// borrower woken with it does not take the lent workers first.
			select {
			case s.wake[ti] <- struct{}{}:
			default:
			}
		}
	}
}

// slotSnapshot is the slot table at one moment.
type slotSnapshot struct {
	busy    [numTiers]int // busy workers per home tier
	running [numTiers]int // jobs per job tier
	lent    [numTiers]int // of a home tier's busy workers, how many run another tier's jobs
}

func (s *slots) snapshot(homes func() [numTiers][numTiers]int) slotSnapshot {
	s.mu.Lock()
	out := slotSnapshot{busy: s.busy, running: s.running}
	s.mu.Unlock()
	if homes != nil {
		h := homes()
		for home := range numTiers {
			for ti := range numTiers {
				if ti != home {
					out.lent[home] += h[home][ti]
				}
			}
		}
	}
	return out
}

// runWindow keeps the last few run times of a tier and their maximum.
type runWindow struct {
	ring []time.Duration
	next int
	n    int
	max  time.Duration
}

func newRunWindow(size int) runWindow { return runWindow{ring: make([]time.Duration, max(size, 1))} }

func (r *runWindow) add(d time.Duration) {
	old := r.ring[r.next]
	r.ring[r.next] = d
	r.next = (r.next + 1) % len(r.ring)
	if r.n < len(r.ring) {
		r.n++
		old = 0
	}
	switch {
	case d >= r.max:
		r.max = d
	case old == r.max: // the maximum left the window
		r.max = 0
		for _, v := range r.ring[:r.n] {
			r.max = max(r.max, v)
		}
	}
}
