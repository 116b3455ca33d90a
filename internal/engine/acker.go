package engine

import (
	"context"
	"sync"
	"time"

	"github.com/slaqhq/slaq/store"
)

// ackItem is one outcome for the acker, with what its event reports.
type ackItem struct {
	ack     store.Ack
	job     *store.Job
	kind    EventKind
	runTime time.Duration
}

// acker sends run outcomes to the store in batches: it takes whatever has queued up since its
// last call (up to AckBatch), so a busy engine makes few large calls and an idle one sends each
// outcome at once. An outcome the store refuses is retried until the store takes it or the
// engine stops; meanwhile the job's lease lapses and it runs again (at least once). Once the
// store took a batch, the acker emits its events and, for failures, calls OnFailed.
type acker struct {
	e       *Engine
	in      chan ackItem
	closing chan struct{}
	done    chan struct{}
	once    sync.Once
}

func newAcker(e *Engine) *acker {
	return &acker{e: e, in: make(chan ackItem, e.cfg.AckQueue), closing: make(chan struct{}), done: make(chan struct{})}
}

func (a *acker) start() { go a.run() }

// send queues an outcome. After the acker stopped, outcomes are dropped: their jobs' leases
// lapse and they run again elsewhere (at least once).
func (a *acker) send(it ackItem) {
	select {
	case a.in <- it:
	case <-a.done:
	}
}

// close flushes what is queued (one try, no retries) and stops the acker.
func (a *acker) close() {
	a.once.Do(func() { close(a.closing) })
	<-a.done
}

func (a *acker) run() {
	defer close(a.done)
	batch := make([]ackItem, 0, a.e.cfg.AckBatch)
	acks := make([]store.Ack, 0, a.e.cfg.AckBatch)
	for {
		select {
		case it := <-a.in:
			batch = append(batch[:0], it)
		case <-a.closing:
			for {
				batch = batch[:0]
				a.drain(&batch)
				if len(batch) == 0 {
					return
				}
				a.flush(batch, acks)
			}
		}
		a.drain(&batch)
		a.flush(batch, acks)
	}
}

func (a *acker) drain(batch *[]ackItem) {
	for len(*batch) < cap(*batch) {
		select {
		case it := <-a.in:
			*batch = append(*batch, it)
		default:
			return
		}
	}
}

// flush records one batch. Each call runs to its end (the stores bound their own calls), so
// a batch in flight when the engine stops is not cut short. A refused batch is retried with
// back-off until the store takes it; once close was called it gets one more try and is then
// dropped: the jobs' leases lapse and they run again (at least once).
func (a *acker) flush(batch []ackItem, acks []store.Ack) {
	cfg := &a.e.cfg
	acks = acks[:0]
	for _, it := range batch {
		acks = append(acks, it.ack)
	}
	wait, last := cfg.StoreRetryMin, false
	for {
		err := cfg.Store.Ack(context.Background(), acks)
		if err == nil {
			break
		}
		if last {
			cfg.Logger.Warn("slaq: recording job outcomes failed at shutdown; the jobs will run again", "jobs", len(acks), "err", err)
			return
		}
		cfg.Logger.Warn("slaq: recording job outcomes failed", "jobs", len(acks), "err", err, "retry_in", wait)
		t := cfg.Clock.NewTimer(wait)
		select {
		case <-t.C():
		case <-a.closing:
			last = true
		}
		t.Stop()
		wait = min(2*wait, cfg.StoreRetryMax)
	}
	failed := false
	for _, it := range batch {
		failed = failed || it.ack.Kind == store.AckFail
		if cfg.Emit != nil {
			cfg.Emit(Event{Kind: it.kind, At: time.UnixMilli(it.ack.Now), Job: it.job, RunTime: it.runTime, Error: it.ack.Error})
		}
	}
	if failed && cfg.OnFailed != nil {
		cfg.OnFailed()
	}
}
