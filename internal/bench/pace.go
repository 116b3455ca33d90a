package bench

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// paced is the outcome of an open-loop producer.
type paced struct {
	first, last int64   // process clock when the first and the last call were issued
	enqNs       []int64 // each call's duration
}

// achieved is the rate the producer issued at: calls over the span from the first issue to
// one interval after the last.
func (p paced) achieved(interval time.Duration) float64 {
	return rate(len(p.enqNs), time.Duration(p.last-p.first)+interval)
}

// pace issues n calls open loop (WORKLOADS W3, step 4): call i at first + i·interval, at once
// when late (so the average rate holds), each in a goroutine of its own without waiting for
// earlier calls. issue gets the call's index and its issue time t, read just before it; pace
// returns once every call returned, with the first error.
func pace(n int, interval time.Duration, issue func(i int, t int64) error) (paced, error) {
	return paceAt(n, func(i int) time.Duration { return time.Duration(i) * interval }, issue)
}

// paceAt is pace with call i due at first + at(i); at must not decrease.
func paceAt(n int, at func(i int) time.Duration, issue func(i int, t int64) error) (paced, error) {
	p := paced{enqNs: make([]int64, n)}
	errs := make([]error, n)
	var wg sync.WaitGroup
	p.first = clock()
	p.last = p.first
	for i := range n {
		if d := p.first + int64(at(i)) - clock(); d > 0 {
			time.Sleep(time.Duration(d))
		}
		p.last = clock()
		wg.Go(func() {
			t := clock()
			errs[i] = issue(i, t)
			p.enqNs[i] = clock() - t
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return p, fmt.Errorf("call %d: %w", i, err)
		}
	}
	return p, nil
}

// poissonAt returns the due times of n arrivals of a Poisson process with mean gap mean,
// from a generator seeded with seed: the same schedule every run.
func poissonAt(n int, mean time.Duration, seed uint64) func(i int) time.Duration {
	r := rand.New(rand.NewPCG(seed, seed))
	at := make([]time.Duration, n)
	var sum float64
	for i := range at {
		at[i] = time.Duration(sum)
		sum += r.ExpFloat64() * float64(mean)
	}
	return func(i int) time.Duration { return at[i] }
}
