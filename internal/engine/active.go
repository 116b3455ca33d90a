package engine

import (
	"slices"
	"sync"
	"time"

	"github.com/slaqhq/slaq/store"
)

// activeSet tracks one tier's runs in this process, for heartbeats, overdue checks and
// shutdown.
type activeSet struct {
	mu   sync.Mutex
	runs map[runKey]*runState
}

// runKey names one run: a job that was rescued (its lease lapsed) and claimed again by this
// process runs again under the same id, beside the old run, with another StartedAt.
type runKey struct {
	id      string
	started int64
}

type runState struct {
	job   *store.Job
	home  int       // home tier index of the worker slot it runs on
	began time.Time // when its handler was called
	// released: Stop handed the job back, or the run was abandoned; the handler's outcome is
	// dropped. abandoned: abandonOverdue gave up on it and freed its slot already.
	released, abandoned bool
}

func newActiveSet() *activeSet { return &activeSet{runs: make(map[runKey]*runState)} }

func (a *activeSet) add(j *store.Job, home int) {
	a.mu.Lock()
	a.runs[runKey{j.ID, j.StartedAt}] = &runState{job: j, home: home}
	a.mu.Unlock()
}

// began records when the run's handler was called.
func (a *activeSet) began(j *store.Job, at time.Time) {
	a.mu.Lock()
	if r := a.runs[runKey{j.ID, j.StartedAt}]; r != nil {
		r.began = at
	}
	a.mu.Unlock()
}

// remove forgets the run of j and reports whether its outcome is to be dropped (released)
// and whether it had been abandoned.
func (a *activeSet) remove(j *store.Job) (released, abandoned bool) {
	k := runKey{j.ID, j.StartedAt}
	a.mu.Lock()
	if r := a.runs[k]; r != nil {
		released, abandoned = r.released, r.abandoned
	}
	delete(a.runs, k)
	a.mu.Unlock()
	return released, abandoned
}

// len counts the runs whose slot is still held (abandoned runs freed theirs).
func (a *activeSet) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, r := range a.runs {
		if !r.abandoned {
			n++
		}
	}
	return n
}

// leased returns the ids of runs whose leases this process still renews.
func (a *activeSet) leased() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.runs))
	for k, r := range a.runs {
		if !r.released {
			out = append(out, k.id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out) // a rescued job claimed again may run twice here
}
