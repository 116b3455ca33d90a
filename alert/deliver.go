package alert

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// claimLoop takes queued alerts in order: it evaluates the threshold, claims the key, and
// hands each won alert to every notifier's queue.
func (m *Manager) claimLoop() {
	defer func() {
		for _, s := range m.sinks {
			close(s.ch)
		}
	}()
	for {
		select {
		case c := <-m.in:
			m.handle(c)
			m.done(1)
		case <-m.stop:
			for {
				select {
				case c := <-m.in:
					m.handle(c)
					m.done(1)
				default:
					return
				}
			}
		}
	}
}

func (m *Manager) handle(c candidate) {
	a := c.a
	a.Window = c.window
	if m.isQuiet(a.Key) {
		m.suppressed.Add(1)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.o.NotifyTimeout)
	defer cancel()
	if a.Rule == RuleThreshold {
		n, err := m.o.DeadLetters(ctx, m.o.Now().Add(-c.window))
		if err != nil {
			m.o.Logger.Warn("slaq alert: cannot count dead letters for the threshold", "err", err)
			return
		}
		if n <= m.o.ThresholdCount {
			return
		}
		a.Count = n
	}
	a.Summary = summary(a)
	if m.o.Claimer != nil {
		won, err := m.o.Claimer.Once(ctx, m.o.KeyPrefix+a.Key, m.o.Now().UnixMilli(), c.window.Milliseconds())
		switch {
		case err != nil: // fail open: a duplicate beats a lost alert
			m.o.Logger.Warn("slaq alert: the claim failed; sending without deduplication", "key", a.Key, "err", err)
		case !won:
			m.suppressed.Add(1)
			m.setQuiet(a.Key, max(c.window/10, time.Second)) // another replica sent it; look again later
			return
		}
	}
	m.setQuiet(a.Key, c.window)
	m.fired.Add(1)
	if m.o.Redact != nil && a.Job != nil {
		a.Job = m.o.Redact(a.Job)
	}
	for _, s := range m.sinks {
		m.add(1)
		select {
		case s.ch <- a:
		default:
			m.drop(a, s.n.Name(), errors.New("the notifier's queue is full"))
			m.done(1)
		}
	}
}

// deliver sends s's alerts one at a time, each tried Attempts times.
func (m *Manager) deliver(s *sink) {
	for a := range s.ch {
		var err error
		wait := m.o.RetryWait
		for try := 1; ; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), m.o.NotifyTimeout)
			err = s.n.Notify(ctx, a)
			cancel()
			if err == nil || try >= m.o.Attempts {
				break
			}
			select {
			case <-time.After(wait):
			case <-m.stop:
				try = m.o.Attempts // closing: one last try
			}
			wait *= 2
		}
		if err != nil {
			m.drop(a, s.n.Name(), fmt.Errorf("after %d tries: %w", m.o.Attempts, err))
		} else {
			m.delivered.Add(1)
		}
		m.done(1)
	}
}

// Flush waits until every alert offered before it was claimed and sent (or dropped), or ctx
// ends.
func (m *Manager) Flush(ctx context.Context) error {
	m.pmu.Lock()
	if m.pending == 0 {
		m.pmu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	m.waiters = append(m.waiters, ch)
	m.pmu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("alert: flush: %w", ctx.Err())
	}
}

func (m *Manager) add(n int) {
	m.pmu.Lock()
	m.pending += n
	m.pmu.Unlock()
}

func (m *Manager) done(n int) {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	if m.pending -= n; m.pending == 0 {
		for _, ch := range m.waiters {
			close(ch)
		}
		m.waiters = nil
	}
}

// Close stops accepting alerts, sends what is queued (retries cut short), and returns when
// done or when ctx ends. Call it after the client stopped, so no event comes after.
func (m *Manager) Close(ctx context.Context) error {
	m.once.Do(func() { close(m.stop) })
	done := make(chan struct{})
	go func() { <-m.claimed; m.wg.Wait(); close(done) }() // the claim loop closes the sinks' queues as it ends
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("alert: close: %w", ctx.Err())
	}
}
