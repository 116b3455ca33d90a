package engine

import (
	"testing"
	"time"
)

// tiersOf builds tier settings from per-tier workers, reserves, max workers and SLAs.
func tiersOf(workers, reserve, maxWorkers [numTiers]int, sla [numTiers]time.Duration) (ts [numTiers]TierSettings) {
	for i := range ts {
		ts[i] = TierSettings{Workers: workers[i], Reserve: reserve[i], MaxWorkers: maxWorkers[i], SLA: sla[i]}
	}
	return ts
}

var (
	guideWorkers = [numTiers]int{20, 10, 5, 2, 1}
	guideReserve = [numTiers]int{4, 2, 1, 0, 0}
	guideSLA     = [numTiers]time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 5 * time.Minute, 0}
)

func TestPlan(t *testing.T) {
	t.Parallel()
	const C, H, M, L, B = 0, 1, 2, 3, 4
	type state struct {
		busy, running [numTiers]int
		noWork        [numTiers]bool
		waiting       [numTiers]bool
		runs          map[int]time.Duration // recorded run time per job tier (max of window)
	}
	cases := []struct {
		name            string
		upward, lending bool
		max             [numTiers]int
		st              state
		tier, n         int
		want            grant
	}{
		{name: "own workers first", tier: H, n: 4, want: grant{H: 4}},
		{name: "own workers capped by what is idle", tier: H, n: 20, st: state{busy: [numTiers]int{H: 7}}, want: grant{H: 3}},
		{name: "no sharing: a busy tier waits", tier: H, n: 5, st: state{busy: [numTiers]int{H: 10}, noWork: allTrue()}, want: grant{}},
		{name: "upward help from idle less urgent tiers, least urgent first", upward: true, tier: H, n: 4,
			st: state{busy: [numTiers]int{H: 10}, noWork: allTrue()}, want: grant{B: 1, L: 2, M: 1}},
		{name: "upward help only from tiers without work", upward: true, tier: H, n: 4,
			st: state{busy: [numTiers]int{H: 10}, noWork: [numTiers]bool{M: true}}, want: grant{M: 4}},
		{name: "upward help never from more urgent tiers", upward: true, tier: M, n: 3,
			st: state{busy: [numTiers]int{M: 5}, noWork: allTrue()}, want: grant{B: 1, L: 2}},
		{name: "lending keeps the reserve", lending: true, tier: L, n: 30, max: [numTiers]int{},
			st:   state{busy: [numTiers]int{L: 2}, noWork: [numTiers]bool{C: true}, runs: map[int]time.Duration{L: time.Millisecond}},
			want: grant{C: 16}},
		{name: "lending nearest lender first", lending: true, tier: L, n: 10,
			st:   state{busy: [numTiers]int{L: 2}, noWork: allTrue(), runs: map[int]time.Duration{L: time.Millisecond}},
			want: grant{M: 4, H: 6}},
		{name: "no lending to a borrower without recorded runs", lending: true, tier: H, n: 5,
			st: state{busy: [numTiers]int{H: 10}, noWork: allTrue()}, want: grant{}},
		{name: "no lending to a borrower whose runs outlast the lender's SLA", lending: true, tier: H, n: 5,
			st: state{busy: [numTiers]int{H: 10}, noWork: allTrue(), runs: map[int]time.Duration{H: 3 * time.Second}}, want: grant{}},
		{name: "short runs borrow from CRITICAL", lending: true, tier: H, n: 5,
			st:   state{busy: [numTiers]int{H: 10}, noWork: allTrue(), runs: map[int]time.Duration{H: 20 * time.Millisecond}},
			want: grant{C: 5}},
		{name: "MaxWorkers caps own, helpers and lenders together", upward: true, lending: true, tier: M, n: 10,
			max: [numTiers]int{M: 6}, st: state{busy: [numTiers]int{M: 5}, running: [numTiers]int{M: 5}, noWork: allTrue(),
				runs: map[int]time.Duration{M: time.Millisecond}}, want: grant{B: 1}},
		{name: "MaxWorkers reached: nothing", upward: true, lending: true, tier: L, n: 5, max: [numTiers]int{L: 2},
			st:   state{busy: [numTiers]int{L: 2}, running: [numTiers]int{L: 2}, noWork: allTrue(), runs: map[int]time.Duration{L: time.Millisecond}},
			want: grant{}},
		{name: "a more urgent waiting borrower goes first", lending: true, tier: L, n: 5,
			st: state{busy: [numTiers]int{H: 10, M: 5, L: 2}, noWork: [numTiers]bool{C: true}, waiting: [numTiers]bool{H: true},
				runs: map[int]time.Duration{H: time.Millisecond, L: time.Millisecond}}, want: grant{}},
		{name: "a waiting borrower that may not borrow does not block others", lending: true, tier: L, n: 5,
			st: state{busy: [numTiers]int{H: 10, M: 5, L: 2}, noWork: [numTiers]bool{C: true}, waiting: [numTiers]bool{H: true},
				runs: map[int]time.Duration{H: 3 * time.Second, L: time.Millisecond}}, want: grant{C: 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSlots(tiersOf(guideWorkers, guideReserve, c.max, guideSLA), c.upward, c.lending, 8)
			s.busy, s.running, s.noWork, s.waiting = c.st.busy, c.st.running, c.st.noWork, c.st.waiting
			for ti, d := range c.st.runs {
				s.runs[ti].add(d)
			}
			if got := s.plan(c.tier, c.n); got != c.want {
				t.Fatalf("plan(%d, %d) = %v, want %v", c.tier, c.n, got, c.want)
			}
		})
	}
}

func allTrue() (v [numTiers]bool) {
	for i := range v {
		v[i] = true
	}
	return v
}

func TestMoreUrgentBorrower(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		waiting [numTiers]bool
		running [numTiers]int
		max     [numTiers]int
		runs    [numTiers]time.Duration // 0: none recorded
		h, ti   int
		want    bool
	}{
		{name: "nobody waits", h: 0, ti: 4},
		{name: "HIGH waits between CRITICAL and LOW", waiting: [numTiers]bool{1: true}, runs: [numTiers]time.Duration{1: time.Millisecond}, h: 0, ti: 3, want: true},
		{name: "a waiting tier less urgent than the borrower does not count", waiting: [numTiers]bool{4: true}, runs: [numTiers]time.Duration{4: time.Millisecond}, h: 0, ti: 3},
		{name: "a waiting tier at its MaxWorkers does not count", waiting: [numTiers]bool{2: true}, running: [numTiers]int{2: 3},
			max: [numTiers]int{2: 3}, runs: [numTiers]time.Duration{2: time.Millisecond}, h: 0, ti: 3},
		{name: "a waiting tier the lender would not lend to does not count", waiting: [numTiers]bool{1: true},
			runs: [numTiers]time.Duration{1: 2 * time.Second}, h: 0, ti: 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSlots(tiersOf(guideWorkers, guideReserve, c.max, guideSLA), true, true, 8)
			s.waiting, s.running = c.waiting, c.running
			for ti, d := range c.runs {
				if d > 0 {
					s.runs[ti].add(d)
				}
			}
			if got := s.moreUrgentBorrower(c.h, c.ti); got != c.want {
				t.Fatalf("moreUrgentBorrower(%d, %d) = %v, want %v", c.h, c.ti, got, c.want)
			}
		})
	}
}

func TestRunWindowMax(t *testing.T) {
	t.Parallel()
	r := newRunWindow(3)
	steps := []struct {
		add  time.Duration
		want time.Duration
	}{{5, 5}, {1, 5}, {2, 5}, {1, 2}, {1, 2}, {1, 1}, {9, 9}}
	for i, s := range steps {
		r.add(s.add)
		if r.max != s.want {
			t.Fatalf("step %d: after adding %d max is %d, want %d", i, s.add, r.max, s.want)
		}
	}
}
