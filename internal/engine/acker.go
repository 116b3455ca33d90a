package engine

import (
	"context"
	"sync"
	"time"

	"github.com/slaqhq/slaq/internal/service"
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
	// ctx ends when close is called, so a retrying flush gives up and the final flush runs.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-a.closing; cancel() }()
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
				a.flush(context.Background(), batch, acks, false)
			}
		}
		a.drain(&batch)
		a.flush(ctx, batch, acks, true)
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

func (a *acker) flush(ctx context.Context, batch []ackItem, acks []store.Ack, retry bool) {
	cfg := &a.e.cfg
	acks = acks[:0]
	for _, it := range batch {
		acks = append(acks, it.ack)
	}
	wait := cfg.StoreRetryMin
	for {
		err := cfg.Store.Ack(ctx, acks)
		if err == nil {
			break
		}
		cfg.Logger.Warn("slaq: recording job outcomes failed", "jobs", len(acks), "err", err, "retry_in", wait)
		if !retry || !service.Sleep(ctx, cfg.Clock, wait) {
			return // the leases lapse and the jobs run again
		}
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
