package slaq

import (
	"context"
	"sync"

	"github.com/slaqhq/slaq/store"
)

// ackQueueLen is how many outcomes may wait for the acker before senders block.
const ackQueueLen = 4096

// acker sends run outcomes to the store in batches: it takes whatever has queued up since its
// last call (up to AckBatch), so a busy client makes few large calls and an idle one sends each
// outcome at once. An outcome the store refuses is retried until the store takes it or the
// client stops; meanwhile the job's lease lapses and it runs again (at least once).
type acker struct {
	c       *Client
	in      chan store.Ack
	deadSig chan<- struct{}
	closing chan struct{}
	done    chan struct{}
	once    sync.Once
}

func newAcker(c *Client, deadSig chan<- struct{}) *acker {
	return &acker{c: c, in: make(chan store.Ack, ackQueueLen), deadSig: deadSig,
		closing: make(chan struct{}), done: make(chan struct{})}
}

// send queues an outcome. After the acker stopped, outcomes are dropped: their jobs' leases
// lapse and they run again elsewhere (at least once).
func (a *acker) send(ack store.Ack) {
	select {
	case a.in <- ack:
	case <-a.done:
	}
}

// close flushes what is queued and stops the acker.
func (a *acker) close() {
	a.once.Do(func() { close(a.closing) })
	<-a.done
}

func (a *acker) run(ctx context.Context) {
	defer close(a.done)
	batch := make([]store.Ack, 0, a.c.cfg.AckBatch)
	for {
		select {
		case ack := <-a.in:
			batch = append(batch[:0], ack)
		case <-a.closing:
			// Flush whatever is left, then stop.
			for {
				batch = batch[:0]
				a.drain(&batch)
				if len(batch) == 0 {
					return
				}
				a.flush(ctx, batch, true)
			}
		}
		a.drain(&batch)
		a.flush(ctx, batch, false)
	}
}

func (a *acker) drain(batch *[]store.Ack) {
	for len(*batch) < cap(*batch) {
		select {
		case ack := <-a.in:
			*batch = append(*batch, ack)
		default:
			return
		}
	}
}

func (a *acker) flush(ctx context.Context, batch []store.Ack, closing bool) {
	retry := storeRetryMin
	for {
		err := a.c.st.Ack(ctx, batch)
		if err == nil {
			break
		}
		a.c.log.Warn("slaq: recording job outcomes failed", "jobs", len(batch), "err", err, "retry_in", retry)
		if closing || !sleepCtx(ctx, retry) {
			return // the leases lapse and the jobs run again
		}
		retry = min(2*retry, storeRetryMax)
	}
	for _, ack := range batch {
		if ack.Kind == store.AckFail {
			signal(a.deadSig)
			break
		}
	}
}

// signal wakes the receiver of a one-slot channel, if it is not already woken.
func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
