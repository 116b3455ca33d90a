package bench

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/slaqhq/slaq"
)

// w5Queue is W5's queue name.
const w5Queue = "w5"

// runW5 is W5, memory per waiting job: the store's growth per enqueued job (Redis
// used_memory, or the embedded file with its write-ahead log), then what is left per job
// once every job ran and, with retention 0, was deleted.
func runW5(ctx context.Context, e *runEnv, p Params, _ string) error {
	w := p.W5
	if w.Jobs <= 0 || w.BulkChunk <= 0 || w.Workers <= 0 {
		return fmt.Errorf("W5 needs jobs, a bulk chunk and workers: %+v", w)
	}
	rec := newRecorder(w.Jobs)
	h := &handler{queues: map[string]*recorder{w5Queue: rec}}
	c, err := e.client(oneTier(w.Workers, h))
	if err != nil {
		return err
	}
	reqs := make([]slaq.Request, w.Jobs)
	opts := []slaq.Option{slaq.WithTier(slaq.Medium)}
	for i := range reqs {
		b, err := paddedPayload(w5Queue, i, w.PayloadBytes)
		if err != nil {
			return err
		}
		reqs[i] = slaq.Request{Type: benchJobType, Payload: b, Options: opts}
	}

	cpu0, err := e.mark()
	if err != nil {
		return err
	}
	before, err := e.footprint()
	if err != nil {
		return err
	}
	for i := 0; i < len(reqs); i += w.BulkChunk {
		if _, err := c.EnqueueBulk(ctx, reqs[i:min(i+w.BulkChunk, len(reqs))]); err != nil {
			return fmt.Errorf("enqueue %d+: %w", i, err)
		}
	}
	waiting, err := e.footprint()
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	rec.wait(ctx, w.Timeout)
	if err := stop(ctx, c); err != nil {
		return err
	}
	after, err := e.footprint()
	if err != nil {
		return err
	}
	cpu1, err := e.mark()
	if err != nil {
		return err
	}

	r := e.res
	r.add("bytes_per_waiting_job", math.Round(float64(waiting-before)/float64(w.Jobs)))
	r.add("bytes_left_per_job", math.Round(float64(after-before)/float64(w.Jobs)))
	r.add("payload_bytes", float64(len(reqs[0].Payload.([]byte))))
	r.add("processed", float64(rec.done.Load()))
	r.add("duplicates", float64(rec.dups.Load()))
	if e.target.Store == StoreEmbedded {
		r.setConfig("footprint", "file size growth, -wal included")
	} else {
		r.setConfig("footprint", "INFO memory used_memory delta (whole server)")
	}
	e.cpu(cpu0, cpu1)
	return nil
}

// footprint is the store's size: Redis used_memory, or the embedded file with its log.
func (e *runEnv) footprint() (int64, error) {
	if e.admin != nil {
		v, err := e.admin.infoFloat("memory", "used_memory")
		return int64(v), err
	}
	return e.storeSize()
}

// paddedPayload returns {"q":queue,"i":i,"p":"xxx…"} padded to exactly size bytes.
func paddedPayload(queue string, i, size int) ([]byte, error) {
	base := payload{Q: queue, I: i, Pad: "x"}.encode(nil)
	if len(base) > size {
		return nil, fmt.Errorf("a %d-byte payload cannot hold job %d", size, i)
	}
	return payload{Q: queue, I: i, Pad: strings.Repeat("x", size-len(base)+1)}.encode(nil), nil
}
