package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/slaqhq/slaq"
)

// processStart anchors the one monotonic clock of the process (WORKLOADS: clock).
var processStart = time.Now()

// clock returns nanoseconds since process start, on the monotonic clock.
func clock() int64 { return int64(time.Since(processStart)) }

// payload is the workloads' job payload: {"q": queue, "i": index, "t": issue-time-ns,
// "s": sleep-ms}; t and s only where a workload needs them. Pad fills W5's payloads to size.
type payload struct {
	Q   string `json:"q"`
	I   int    `json:"i"`
	T   int64  `json:"t,omitempty"`
	S   int    `json:"s,omitempty"`
	Pad string `json:"p,omitempty"`
}

// encode appends p's JSON to b without reflection, so that encoding inside a timed section
// (W3, W4 read the issue time before it) stays cheap. Pad is never set there.
func (p payload) encode(b []byte) []byte {
	b = append(b, `{"q":`...)
	b = strconv.AppendQuote(b, p.Q)
	b = append(b, `,"i":`...)
	b = strconv.AppendInt(b, int64(p.I), 10)
	if p.T != 0 {
		b = append(b, `,"t":`...)
		b = strconv.AppendInt(b, p.T, 10)
	}
	if p.S != 0 {
		b = append(b, `,"s":`...)
		b = strconv.AppendInt(b, int64(p.S), 10)
	}
	if p.Pad != "" {
		b = append(b, `,"p":`...)
		b = strconv.AppendQuote(b, p.Pad)
	}
	return append(b, '}')
}

// record is one handler run: start and end on the process clock, the payload's issue time t
// (0 when the workload sets none), and at, the run's StartedAt in Unix ms: the time the
// store's fetch claimed it, on the clock its rate limits decide with.
type record struct {
	start, end, t, at int64
}

// recorder keeps the first run of each index of one queue and counts the rest as duplicates.
type recorder struct {
	recs     []record
	seen     []atomic.Int32
	done     atomic.Int64
	dups     atomic.Int64
	finished chan struct{}
}

func newRecorder(n int) *recorder {
	return &recorder{recs: make([]record, n), seen: make([]atomic.Int32, n), finished: make(chan struct{})}
}

// add records index i's run; it reports an index outside the queue as an error.
func (r *recorder) add(i int, rec record) error {
	if i < 0 || i >= len(r.recs) {
		return fmt.Errorf("bench: index %d outside [0, %d)", i, len(r.recs))
	}
	if r.seen[i].Add(1) > 1 {
		r.dups.Add(1)
		return nil
	}
	r.recs[i] = rec
	if r.done.Add(1) == int64(len(r.recs)) {
		close(r.finished)
	}
	return nil
}

// wait blocks until every index ran once, d passed or ctx is done, and reports whether every
// index ran.
func (r *recorder) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.finished:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// completed returns the records of the indexes that ran; call it once the workers stopped.
func (r *recorder) completed() []record {
	out := make([]record, 0, r.done.Load())
	for i := range r.recs {
		if r.seen[i].Load() > 0 {
			out = append(out, r.recs[i])
		}
	}
	return out
}

// handler follows WORKLOADS' handler rule: take start, decode the payload, sleep s ms if
// s > 0, take end, record (q, i, start, end, t), succeed. Each queue has its recorder.
type handler struct {
	queues map[string]*recorder
	errs   atomic.Int64 // payloads that named no known queue or index; a harness bug
}

// ProcessJob implements slaq.Handler.
func (h *handler) ProcessJob(_ context.Context, job *slaq.Job) error {
	start := clock()
	var p payload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		h.errs.Add(1)
		return nil
	}
	if p.S > 0 {
		time.Sleep(time.Duration(p.S) * time.Millisecond)
	}
	end := clock()
	r := h.queues[p.Q]
	if r == nil || r.add(p.I, record{start: start, end: end, t: p.T, at: job.StartedAt}) != nil {
		h.errs.Add(1)
	}
	return nil
}
