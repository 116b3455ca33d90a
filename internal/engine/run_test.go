package engine

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

var (
	errPermanent = errors.New("permanent")
	errSnooze    = errors.New("snooze")
)

func testClassify(err error) Verdict {
	switch {
	case errors.Is(err, errSnooze):
		return Verdict{Snooze: true, SnoozeFor: 3 * time.Second}
	case errors.Is(err, errPermanent):
		return Verdict{Permanent: true}
	}
	return Verdict{}
}

func TestOutcome(t *testing.T) {
	t.Parallel()
	now := time.UnixMilli(1_800_000_000_000)
	job := func(attempts, max int) *store.Job {
		return &store.Job{ID: "3X", Tier: store.Medium, Attempts: attempts, MaxAttempts: max, BackoffMs: 2000, StartedAt: 77, Result: []byte(`1`)}
	}
	cases := []struct {
		name     string
		job      *store.Job
		err      error
		timedOut bool
		shutdown bool
		kind     store.AckKind
		event    EventKind
		runAt    int64
		errText  string
	}{
		{name: "success", job: job(0, 3), kind: store.AckComplete, event: EventCompleted},
		{name: "failure with attempts left retries after the backoff", job: job(0, 3), err: errors.New("smtp 451"),
			kind: store.AckRetry, event: EventRetried, runAt: now.UnixMilli() + 2000, errText: "smtp 451"},
		{name: "second retry doubles", job: job(1, 3), err: errors.New("x"), kind: store.AckRetry, event: EventRetried, runAt: now.UnixMilli() + 4000, errText: "x"},
		{name: "last attempt fails", job: job(2, 3), err: errors.New("x"), kind: store.AckFail, event: EventFailed, errText: "x"},
		{name: "permanent fails at once", job: job(0, 5), err: errPermanent, kind: store.AckFail, event: EventFailed, errText: "permanent"},
		{name: "snooze spends nothing", job: job(0, 1), err: errSnooze, kind: store.AckSnooze, event: EventSnoozed, runAt: now.UnixMilli() + 3000},
		{name: "timeout names itself", job: job(0, 3), err: context.DeadlineExceeded, timedOut: true, kind: store.AckRetry,
			event: EventRetried, runAt: now.UnixMilli() + 2000, errText: "timed out after 1s: context deadline exceeded"},
		{name: "shutdown interrupts: hand back", job: job(0, 3), err: context.Canceled, shutdown: true, kind: store.AckRelease, event: EventReleased},
		{name: "timeout during shutdown still counts", job: job(2, 3), err: context.DeadlineExceeded, timedOut: true, shutdown: true,
			kind: store.AckFail, event: EventFailed, errText: "timed out after 1s: context deadline exceeded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := &Engine{cfg: Config{Classify: testClassify, MaxBackoff: time.Hour, KeepCompleted: 9}}
			var cancel context.CancelFunc
			e.jobCtx, cancel = context.WithCancel(context.Background())
			defer cancel()
			if c.shutdown {
				cancel()
			}
			o := e.outcome(c.job, c.err, c.timedOut, time.Second, now)
			if o.ack.Kind != c.kind || o.event != c.event || o.ack.RunAt != c.runAt || o.ack.Error != c.errText {
				t.Fatalf("outcome = %+v / %v; want kind %v event %v runAt %d error %q", o.ack, o.event, c.kind, c.event, c.runAt, c.errText)
			}
			if o.ack.StartedAt != 77 || o.ack.ID != "3X" || o.ack.Now != now.UnixMilli() {
				t.Fatalf("ack not fenced to the run: %+v", o.ack)
			}
			if c.kind == store.AckComplete && (string(o.ack.Result) != "1" || o.ack.KeepCompleted != 9) {
				t.Fatalf("completion lost its result or keep: %+v", o.ack)
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		base     int64
		n        int
		jitter   float64
		max      time.Duration
		min, top time.Duration
	}{
		{"first retry waits the base", 2000, 1, 0, time.Hour, 2 * time.Second, 2 * time.Second},
		{"retry n waits base·2^(n-1)", 2000, 4, 0, time.Hour, 16 * time.Second, 16 * time.Second},
		{"capped at MaxBackoff", 2000, 20, 0, time.Hour, time.Hour, time.Hour},
		{"no overflow into a negative delay (n = 40)", 2000, 40, 0, time.Hour, time.Hour, time.Hour},
		{"no overflow at absurd n", 2000, math.MaxInt32, 0.1, time.Hour, 54 * time.Minute, time.Hour},
		{"jitter stays within ±10 %", 10000, 1, 0.1, time.Hour, 9 * time.Second, 11 * time.Second},
		{"jitter never exceeds the cap", 2000, 30, 0.1, time.Minute, 54 * time.Second, time.Minute},
		{"zero base retries at once", 0, 3, 0.1, time.Hour, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for range 200 {
				d := backoffDelay(c.base, c.n, c.jitter, c.max)
				if d < c.min || d > c.top {
					t.Fatalf("backoffDelay(%d, %d, %v, %v) = %v, want within [%v, %v]", c.base, c.n, c.jitter, c.max, d, c.min, c.top)
				}
			}
		})
	}
}

func TestRunCountZero(t *testing.T) {
	t.Parallel()
	var r runCount
	select {
	case <-r.zero():
	default:
		t.Fatal("zero() of an idle count must be closed")
	}
	r.add()
	r.add()
	z := r.zero()
	r.done()
	select {
	case <-z:
		t.Fatal("closed with a run still in flight")
	default:
	}
	r.done()
	select {
	case <-z:
	case <-time.After(time.Second):
		t.Fatal("not closed once the last run ended")
	}
}
