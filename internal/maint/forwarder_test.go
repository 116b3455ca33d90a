package maint

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store"
)

// recordingClock is a FakeClock that reports the duration of every timer a service makes or
// resets, once the timer is armed: the forwarder's schedule, read in order.
type recordingClock struct {
	*service.FakeClock
	armed chan time.Duration
}

func newRecordingClock() *recordingClock {
	return &recordingClock{service.NewFakeClock(time.UnixMilli(t0)), make(chan time.Duration, 100)}
}

func (c *recordingClock) NewTimer(d time.Duration) service.Timer {
	t := c.FakeClock.NewTimer(d)
	c.armed <- d
	return recordingTimer{t, c}
}

// next returns the duration of the next timer armed.
func (c *recordingClock) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.armed:
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no timer armed")
		return 0
	}
}

type recordingTimer struct {
	service.Timer
	c *recordingClock
}

func (t recordingTimer) Reset(d time.Duration) {
	t.Timer.Reset(d)
	t.c.armed <- d
}

// timedOutbox is an outbox that reports the clock's time at each Forward call.
type timedOutbox struct {
	*outbox.Outbox
	clock    service.Clock
	attempts chan time.Time
}

func (o *timedOutbox) Forward(ctx context.Context, limit int, move func(context.Context, []*store.Job) error) (outbox.Forwarded, error) {
	o.attempts <- o.clock.Now()
	return o.Outbox.Forward(ctx, limit, move)
}

// next returns the time of the next Forward call.
func (o *timedOutbox) next(t *testing.T) time.Time {
	t.Helper()
	select {
	case at := <-o.attempts:
		return at
	case <-time.After(5 * time.Second):
		t.Fatal("no forward attempt")
		return time.Time{}
	}
}

// downStore is a store whose Enqueue fails while down is set.
type downStore struct {
	store.Store
	down atomic.Bool
}

func (s *downStore) Enqueue(ctx context.Context, now int64, jobs []*store.Job) ([]store.EnqueueResult, error) {
	if s.down.Load() {
		return nil, errors.New("store down")
	}
	return s.Store.Enqueue(ctx, now, jobs)
}

// forwarderRig is a forwarder on a spool in the test's temporary directory, a store and a
// recording fake clock.
type forwarderRig struct {
	path  string // the spool's file
	clock *recordingClock
	spool *outbox.Outbox
	ob    *timedOutbox
	st    *downStore
	f     *Forwarder
}

const (
	rigEvery    = 10 * time.Second
	rigRetryMin = time.Second
	rigRetryMax = 6 * time.Second // not a power of two times RetryMin: the cap shows
)

func newForwarderRig(t *testing.T, cfg ForwarderConfig) *forwarderRig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spool.db")
	sp, err := outbox.OpenSpool(context.Background(), path, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sp.Close() })
	r := &forwarderRig{path: path, clock: newRecordingClock(), spool: sp, st: &downStore{Store: openStore(t)}}
	r.ob = &timedOutbox{Outbox: sp, clock: r.clock, attempts: make(chan time.Time, 100)}
	cfg.Outbox, cfg.Store, cfg.Clock, cfg.Name = r.ob, r.st, r.clock, "spool"
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Batch == 0 {
		cfg.Batch = 100
	}
	cfg.Every, cfg.RetryMin, cfg.RetryMax = rigEvery, rigRetryMin, rigRetryMax
	r.f = NewForwarder(cfg)
	r.f.Round.Init()
	return r
}

func (r *forwarderRig) start(t *testing.T) {
	t.Helper()
	for len(r.spool.Wake()) > 0 { // the test's own Adds: the first round is the start-up one
		<-r.spool.Wake()
	}
	if err := r.f.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.f.Stop)
}

// add adds n jobs to the spool, which signals the forwarder's Wake.
func (r *forwarderRig) add(t *testing.T, n int) []string {
	t.Helper()
	var jobs []*store.Job
	var ids []string
	for range n {
		j := &store.Job{ID: store.NewID(store.High, t0), Type: "t", Tier: store.High, Payload: []byte(`{}`),
			State: store.StateWaiting, MaxAttempts: 1, TimeoutMs: 1000, RunAt: t0, CreatedAt: t0}
		jobs, ids = append(jobs, j), append(ids, j.ID)
	}
	if err := r.spool.Add(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	return ids
}

func (r *forwarderRig) round(t *testing.T) int {
	t.Helper()
	n, err := r.f.Round.Wait(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (r *forwarderRig) stored(t *testing.T, ids []string) {
	t.Helper()
	for _, id := range ids {
		if _, err := r.st.Get(context.Background(), id); err != nil {
			t.Fatalf("job %s not in the store: %v", id, err)
		}
	}
}

// While the store fails, the forwarder retries after RetryMin, doubling up to RetryMax and
// staying there, each attempt when its timer fires; once the store answers it is back on its
// safety interval, and a new failure starts again from RetryMin.
func TestForwarderRetryBackoff(t *testing.T) {
	t.Parallel()
	r := newForwarderRig(t, ForwarderConfig{})
	ids := r.add(t, 1)
	r.st.down.Store(true)
	r.start(t)
	for i, want := range []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, rigRetryMax, rigRetryMax, rigRetryMax} {
		if d := r.clock.next(t); d != want {
			t.Fatalf("timer %d: %v, want %v", i, d, want)
		}
		r.clock.Advance(want)
		if at, now := r.ob.next(t), r.clock.Now(); !at.Equal(now) {
			t.Fatalf("attempt %d at %v, want %v (when its timer fired)", i, at, now)
		}
		if n := r.round(t); n != -1 {
			t.Fatalf("round %d moved %d with the store down, want a failure (-1)", i, n)
		}
	}
	if got, want := r.clock.Now(), time.UnixMilli(t0).Add(25*time.Second); !got.Equal(want) {
		t.Fatalf("the attempts ended at %v, want %v (0+1+2+4+6+6+6 s)", got, want)
	}

	r.st.down.Store(false)
	if d := r.clock.next(t); d != rigRetryMax {
		t.Fatalf("timer after the last failure: %v, want %v", d, rigRetryMax)
	}
	r.clock.Advance(rigRetryMax)
	r.ob.next(t)
	if n := r.round(t); n != 1 {
		t.Fatalf("round after the store came back moved %d, want 1", n)
	}
	r.stored(t, ids)
	if d := r.clock.next(t); d != rigEvery {
		t.Fatalf("timer after a good round: %v, want the safety interval %v", d, rigEvery)
	}

	r.st.down.Store(true)
	r.add(t, 1) // wakes the forwarder: it fails at once
	r.ob.next(t)
	if n := r.round(t); n != -1 {
		t.Fatalf("round moved %d with the store down, want a failure", n)
	}
	if d := r.clock.next(t); d != rigRetryMin {
		t.Fatalf("timer after a new failure: %v, want RetryMin %v", d, rigRetryMin)
	}
}

// With no wake signal (another process wrote the row), the forwarder finds the job on its
// safety interval, and not before.
func TestForwarderSafetyInterval(t *testing.T) {
	t.Parallel()
	r := newForwarderRig(t, ForwarderConfig{})
	r.start(t)
	if d := r.clock.next(t); d != 0 {
		t.Fatalf("first timer %v, want 0 (a round at start)", d)
	}
	r.ob.next(t)
	if n := r.round(t); n != 0 {
		t.Fatalf("start-up round moved %d, want 0", n)
	}
	if d := r.clock.next(t); d != rigEvery {
		t.Fatalf("timer after a round: %v, want the safety interval %v", d, rigEvery)
	}
	other, err := outbox.OpenSpool(context.Background(), r.path, outbox.Options{}) // as another process would
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	j := &store.Job{ID: store.NewID(store.High, t0), Type: "t", Tier: store.High, Payload: []byte(`{}`),
		State: store.StateWaiting, MaxAttempts: 1, TimeoutMs: 1000, RunAt: t0, CreatedAt: t0}
	if err := other.Add(context.Background(), []*store.Job{j}); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(rigEvery - time.Millisecond)
	r.clock.Advance(time.Millisecond)
	if at, want := r.ob.next(t), time.UnixMilli(t0).Add(rigEvery); !at.Equal(want) {
		t.Fatalf("attempt at %v, want %v: one safety interval after the last round", at, want)
	}
	if n := r.round(t); n != 1 {
		t.Fatalf("round on the safety interval moved %d, want 1", n)
	}
	r.stored(t, []string{j.ID})
	if d := r.clock.next(t); d != rigEvery {
		t.Fatalf("timer after the round: %v, want %v", d, rigEvery)
	}
}

// A wake on the outbox's Wake channel makes the forwarder forward at once, with the clock
// standing still, and re-arm its safety interval.
func TestForwarderWakeForwardsAtOnce(t *testing.T) {
	t.Parallel()
	r := newForwarderRig(t, ForwarderConfig{})
	r.start(t)
	r.clock.next(t)
	r.ob.next(t)
	if n := r.round(t); n != 0 {
		t.Fatalf("start-up round moved %d, want 0", n)
	}
	if d := r.clock.next(t); d != rigEvery {
		t.Fatalf("timer after a round: %v, want %v", d, rigEvery)
	}
	ids := r.add(t, 3)
	if at := r.ob.next(t); !at.Equal(time.UnixMilli(t0)) {
		t.Fatalf("attempt after the wake at %v, want %v: the clock never moved", at, time.UnixMilli(t0))
	}
	if n := r.round(t); n != 3 {
		t.Fatalf("round after the wake moved %d, want 3", n)
	}
	r.stored(t, ids)
	if d := r.clock.next(t); d != rigEvery {
		t.Fatalf("timer after the woken round: %v, want %v", d, rigEvery)
	}
}

// recordingHandler is an slog handler that keeps the records it handles.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// errors returns the attributes of each error-level record.
func (h *recordingHandler) errors() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]any
	for _, r := range h.records {
		if r.Level != slog.LevelError {
			continue
		}
		attrs := map[string]any{}
		r.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.Any()
			return true
		})
		out = append(out, attrs)
	}
	return out
}

// A row that does not decode to a job does not stop the forwarder: it is set aside, logged
// at error level and reported, the jobs around it are forwarded in the same round (past a
// batch that held it), and jobs enqueued afterwards are forwarded too.
func TestForwarderKeepsForwardingAfterPoison(t *testing.T) {
	t.Parallel()
	logs := &recordingHandler{}
	var mu sync.Mutex
	var rejected []outbox.Rejection
	r := newForwarderRig(t, ForwarderConfig{Logger: slog.New(logs), Batch: 2, OnReject: func(rj outbox.Rejection) {
		mu.Lock()
		rejected = append(rejected, rj)
		mu.Unlock()
	}})
	first := r.add(t, 1)
	var seq int64
	err := r.spool.DB().QueryRow("INSERT INTO " + outbox.Table + " (job_id, job, payload) VALUES ('bad', 'not json', '{}') RETURNING seq").Scan(&seq)
	if err != nil {
		t.Fatal(err)
	}
	first = append(first, r.add(t, 2)...)
	r.start(t)
	if n := r.round(t); n != 3 {
		t.Fatalf("first round moved %d, want the 3 good jobs (batches of 2: the poison row's batch is not the last)", n)
	}
	r.stored(t, first)
	later := r.add(t, 5)
	if n, err := r.f.Round.WaitFor(5*time.Second, func(n int) bool { return n != 0 }); err != nil || n != 5 {
		t.Fatalf("round after the poison moved %d (%v), want the 5 later jobs", n, err)
	}
	r.stored(t, later)
	if n, err := r.spool.Rejected(context.Background()); err != nil || n != 1 {
		t.Fatalf("%d rows (%v) set aside, want 1", n, err)
	}
	if n, err := r.spool.Len(context.Background()); err != nil || n != 0 {
		t.Fatalf("the spool holds %d rows (%v), want none", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(rejected) != 1 || rejected[0].Seq != seq || rejected[0].JobID != "bad" || rejected[0].Reason == "" {
		t.Fatalf("OnReject got %+v, want row %d of job bad with a reason", rejected, seq)
	}
	errs := logs.errors()
	if len(errs) != 1 || errs[0]["seq"] != seq || errs[0]["job_id"] != "bad" || errs[0]["reason"] != rejected[0].Reason ||
		errs[0]["outbox"] != "spool" {
		t.Fatalf("error logs %v, want one naming seq %d, job_id bad and the reason", errs, seq)
	}
}
