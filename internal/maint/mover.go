package maint

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store"
)

// MoverConfig configures a Mover.
type MoverConfig struct {
	Store       store.Store
	DeadLetters DeadLetterQueue
	Clock       service.Clock
	Logger      service.Logger
	Batch       int           // most failed jobs of a tier moved per call
	Every       time.Duration // how often to look for jobs other processes failed
	Retry       time.Duration // how soon to try again after the dead-letter database failed
	// OnMoved is called for every job this mover moved: exactly once per job however many
	// processes move jobs, since the store hands each id to one of them. It must not block.
	OnMoved func(*store.Job)
}

// Mover moves failed jobs from the store to the dead-letter queue: write the rows
// (idempotent on job id), then delete the jobs from the store. A crash between the steps
// writes the same rows again later, which changes nothing. Each tier moves on its own, so a
// tier whose rows fail does not hold up the others; a job whose row the database refuses
// alone (bad data) is set aside with its reason, logged, and skipped from then on, while the
// rest of its batch moves. While the database does not answer, jobs wait in the store and the
// mover tries again every Retry. Otherwise it runs when Wake is called (this process recorded
// a failure), and every Every for jobs that other processes failed.
type Mover struct {
	base
	cfg  MoverConfig
	wake chan struct{}
	// Moved is signalled after each pass with the number of jobs moved in it.
	Moved service.Signal[int]

	mu       sync.Mutex
	setAside [numTiers]map[string]string // job id → why the database refused its row
}

// NewMover returns a mover for cfg.
func NewMover(cfg MoverConfig) *Mover {
	m := &Mover{base: base{store: cfg.Store, clock: cfg.Clock, logger: cfg.Logger}, cfg: cfg, wake: make(chan struct{}, 1)}
	for ti := range m.setAside {
		m.setAside[ti] = make(map[string]string)
	}
	return m
}

// Wake makes the mover look for failed jobs now. It never blocks.
func (m *Mover) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// SetAside returns the jobs whose rows the dead-letter database refused, with the reasons.
func (m *Mover) SetAside() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string)
	for _, s := range m.setAside {
		for id, why := range s {
			out[id] = why
		}
	}
	return out
}

// Start starts the mover's loop.
func (m *Mover) Start(ctx context.Context) error { return m.loop.Start(ctx, m.run) }

func (m *Mover) run(ctx context.Context) {
	for {
		moved, full, err := m.Pass(ctx)
		m.Moved.Signal(moved)
		wait := m.cfg.Every
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			m.logger.Warn("slaq: moving failed jobs to the dead-letter queue failed", "err", err, "retry_in", m.cfg.Retry)
			wait = m.cfg.Retry
		case full:
			continue
		}
		t := m.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-m.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

// Pass moves up to one batch per tier. It reports how many jobs it moved, whether some tier
// had a full batch (more may wait), and the tiers' errors joined.
func (m *Mover) Pass(ctx context.Context) (moved int, full bool, err error) {
	var errs []error
	for _, t := range store.Tiers {
		n, f, err := m.moveTier(ctx, t)
		moved += n
		full = full || f
		if err != nil {
			errs = append(errs, err)
		}
	}
	return moved, full, errors.Join(errs...)
}

func (m *Mover) moveTier(ctx context.Context, t store.Tier) (moved int, full bool, err error) {
	ti := t.Index()
	m.mu.Lock()
	skip := len(m.setAside[ti])
	m.mu.Unlock()
	jobs, err := m.store.Failed(ctx, t, m.cfg.Batch+skip)
	if err != nil {
		return 0, false, err
	}
	jobs = m.withoutSetAside(ti, jobs)
	if len(jobs) == 0 {
		return 0, false, nil
	}
	full = len(jobs) >= m.cfg.Batch
	jobs = jobs[:min(len(jobs), m.cfg.Batch)]
	if err := m.cfg.DeadLetters.Add(ctx, jobs); err != nil {
		var rej interface{ Rejected() map[string]string }
		if !errors.As(err, &rej) || len(rej.Rejected()) == 0 {
			return 0, false, err
		}
		m.setAsideRejected(t, rej.Rejected())
		jobs = m.withoutSetAside(ti, jobs)
	}
	byID := make(map[string]*store.Job, len(jobs))
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i], byID[j.ID] = j.ID, j
	}
	removed, err := m.store.DeleteFailed(ctx, t, ids)
	if err != nil {
		return 0, false, err
	}
	for _, id := range removed {
		if m.cfg.OnMoved != nil {
			m.cfg.OnMoved(byID[id])
		}
		delete(byID, id)
	}
	m.dropStaleRows(ctx, byID)
	return len(removed), full, nil
}

// dropStaleRows deletes the rows just written for jobs the store did not hand over because
// they left the failed state meanwhile (an operator retried them): their rows would be stale.
// A job missing from the store was moved by another process, and its row stays.
func (m *Mover) dropStaleRows(ctx context.Context, notRemoved map[string]*store.Job) {
	for id := range notRemoved {
		j, err := m.store.Get(ctx, id)
		if err != nil || j.State == store.StateFailed {
			continue
		}
		if _, err := m.cfg.DeadLetters.Delete(ctx, id); err != nil {
			m.logger.Warn("slaq: removing the dead-letter row of a retried job failed", "job", id, "err", err)
		}
	}
}

func (m *Mover) withoutSetAside(ti int, jobs []*store.Job) []*store.Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := jobs[:0]
	for _, j := range jobs {
		if _, ok := m.setAside[ti][j.ID]; !ok {
			out = append(out, j)
		}
	}
	return out
}

func (m *Mover) setAsideRejected(t store.Tier, rejected map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, why := range rejected {
		if _, seen := m.setAside[t.Index()][id]; !seen {
			m.logger.Error("slaq: the dead-letter database refused a failed job; it stays in the store, set aside",
				"tier", t, "job", id, "reason", why)
		}
		m.setAside[t.Index()][id] = why
	}
}
