package slaq_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"
)

func TestEnqueueRunsJobAndKeepsResult(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		mux := slaq.NewServeMux()
		var seen atomic.Value
		mux.HandleFunc("send_password_reset", func(ctx context.Context, j *slaq.Job) error {
			seen.Store(string(j.Payload))
			j.Result = []byte(`{"sent":true}`)
			return nil
		})
		var mwCalls atomic.Int32
		mux.Use(func(next slaq.Handler) slaq.Handler {
			return slaq.HandlerFunc(func(ctx context.Context, j *slaq.Job) error {
				mwCalls.Add(1)
				return next.ProcessJob(ctx, j)
			})
		})
		c := newClient(t, open(t), slaq.Config{Handler: mux})
		id, err := c.Enqueue(context.Background(), "send_password_reset", map[string]string{"email": "a@example.com"},
			slaq.WithTier(slaq.Critical))
		if err != nil {
			t.Fatal(err)
		}
		if tier, _ := store.TierOfID(id); tier != slaq.Critical {
			t.Fatalf("id %q does not carry tier CRITICAL", id)
		}
		j := waitState(t, c, id, store.StateCompleted)
		if got := seen.Load(); got != `{"email":"a@example.com"}` {
			t.Fatalf("handler saw payload %v", got)
		}
		if string(j.Result) != `{"sent":true}` || j.Attempts != 0 || j.FinishedAt == 0 || j.StartedAt == 0 {
			t.Fatalf("completed job = %+v", j)
		}
		if mwCalls.Load() != 1 {
			t.Fatalf("middleware ran %d times", mwCalls.Load())
		}
		m, err := c.Metrics(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if cm := m["CRITICAL"]; cm.Completed != 1 || cm.Latency.Picked != 1 || cm.Latency.WithinSLA != 1 {
			t.Fatalf("CRITICAL metrics = %+v", cm)
		}
	})
}

func TestEveryJobRunsExactlyOnce(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		const n = 2000
		var mu sync.Mutex
		runs := make(map[int]int)
		var done atomic.Int32
		mux := slaq.NewServeMux()
		mux.HandleFunc("count", func(ctx context.Context, j *slaq.Job) error {
			var p struct{ I int }
			if err := json.Unmarshal(j.Payload, &p); err != nil {
				return err
			}
			mu.Lock()
			runs[p.I]++
			mu.Unlock()
			done.Add(1)
			return nil
		})
		c := newClient(t, open(t), slaq.Config{Handler: mux, Retention: slaq.None})
		reqs := make([]slaq.Request, n)
		for i := range reqs {
			reqs[i] = slaq.Request{Type: "count", Payload: map[string]int{"i": i},
				Options: []slaq.Option{slaq.WithTier(slaq.Tiers[i%slaq.NumTiers])}}
		}
		ids, err := c.EnqueueBulk(context.Background(), reqs[:n/2])
		if err != nil || len(ids) != n/2 {
			t.Fatalf("bulk: %d ids, %v", len(ids), err)
		}
		for _, r := range reqs[n/2:] {
			if _, err := c.Enqueue(context.Background(), r.Type, r.Payload, r.Options...); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 30*time.Second, "all jobs to run", func() bool { return done.Load() >= n })
		mu.Lock()
		defer mu.Unlock()
		for i := range n {
			if runs[i] != 1 {
				t.Fatalf("job %d ran %d times", i, runs[i])
			}
		}
	})
}

func TestFailureHandling(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		mux := slaq.NewServeMux()
		var snoozed atomic.Bool
		var afterPanic atomic.Int32
		mux.HandleFunc("permanent", func(ctx context.Context, j *slaq.Job) error {
			return slaq.Permanent(errors.New("card declined"))
		})
		mux.HandleFunc("panics", func(ctx context.Context, j *slaq.Job) error {
			panic("boom")
		})
		mux.HandleFunc("after_panic", func(ctx context.Context, j *slaq.Job) error {
			afterPanic.Add(1)
			return nil
		})
		mux.HandleFunc("snooze_once", func(ctx context.Context, j *slaq.Job) error {
			if snoozed.CompareAndSwap(false, true) {
				return slaq.Snooze(time.Millisecond)
			}
			return nil
		})
		mux.HandleFunc("slow", func(ctx context.Context, j *slaq.Job) error {
			<-ctx.Done()
			return ctx.Err()
		})
		c := newClient(t, open(t), slaq.Config{Handler: mux})
		ctx := context.Background()
		enq := func(typ string, opts ...slaq.Option) string {
			t.Helper()
			id, err := c.Enqueue(ctx, typ, nil, append([]slaq.Option{slaq.WithTier(slaq.High)}, opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		cases := []struct {
			name, typ     string
			opts          []slaq.Option
			wantState     store.State
			wantAttempts  int
			wantErrSubstr []string
		}{
			{"permanent error skips retries", "permanent", nil, store.StateFailed, 1, []string{"card declined"}},
			{"unknown type fails permanently", "no_such_type", nil, store.StateFailed, 1, []string{"unknown job type", "no_such_type"}},
			{"panic fails the attempt with its stack", "panics", []slaq.Option{slaq.MaxAttempts(1)}, store.StateFailed, 1, []string{"panic: boom", "goroutine"}},
			{"timeout reaches the handler", "slow", []slaq.Option{slaq.MaxAttempts(1), slaq.Timeout(30 * time.Millisecond)}, store.StateFailed, 1, []string{"timed out after 30ms", "deadline exceeded"}},
			{"snooze spends no attempt", "snooze_once", nil, store.StateCompleted, 0, nil},
		}
		for _, tc := range cases {
			id := enq(tc.typ, tc.opts...)
			j := waitState(t, c, id, tc.wantState)
			if j.Attempts != tc.wantAttempts {
				t.Errorf("%s: attempts = %d, want %d", tc.name, j.Attempts, tc.wantAttempts)
			}
			for _, s := range tc.wantErrSubstr {
				if !strings.Contains(j.LastError, s) {
					t.Errorf("%s: last error %q lacks %q", tc.name, j.LastError, s)
				}
			}
		}
		// The worker that saw the panic lives on.
		id := enq("after_panic")
		waitState(t, c, id, store.StateCompleted)
	})
}

func TestRetriesWithExactBackoff(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		clock := newFakeClock()
		var runs atomic.Int32
		mux := slaq.NewServeMux()
		mux.HandleFunc("flaky", func(ctx context.Context, j *slaq.Job) error {
			runs.Add(1)
			return errors.New("gateway unavailable")
		})
		mux.HandleFunc("nudge", func(ctx context.Context, j *slaq.Job) error { return nil })
		c := newClient(t, open(t), slaq.Config{Handler: mux, Clock: clock, BackoffJitter: -1})
		ctx := context.Background()
		id, err := c.Enqueue(ctx, "flaky", nil, slaq.WithTier(slaq.Critical))
		if err != nil {
			t.Fatal(err)
		}
		// CRITICAL: 5 attempts, backoff 2 s · 2^(n-1) = 2, 4, 8, 16 s.
		for n, wantDelay := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second} {
			j := waitJob(t, c, id, "a retry to be scheduled", func(j *slaq.Job) bool {
				return j.State == store.StateDelayed && j.Attempts == n+1
			})
			if got := time.Duration(j.RunAt-clock.Now().UnixMilli()) * time.Millisecond; got != wantDelay {
				t.Fatalf("backoff before retry %d = %s, want %s", n+1, got, wantDelay)
			}
			clock.Advance(wantDelay)
			// Enqueueing into the tier wakes its fetcher, which sees the retry is due.
			if _, err := c.Enqueue(ctx, "nudge", nil, slaq.WithTier(slaq.Critical)); err != nil {
				t.Fatal(err)
			}
		}
		j := waitState(t, c, id, store.StateFailed)
		if j.Attempts != 5 || runs.Load() != 5 || j.LastError != "gateway unavailable" {
			t.Fatalf("final: attempts %d, runs %d, error %q", j.Attempts, runs.Load(), j.LastError)
		}
	})
}

func TestBadInputStoresNothing(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		c := newClient(t, open(t), slaq.Config{})
		ctx := context.Background()
		big := make([]byte, slaq.DefaultMaxPayloadBytes+1)
		for i := range big {
			big[i] = ' '
		}
		big[0], big[len(big)-1] = '"', '"'
		cases := []struct {
			name    string
			typ     string
			payload any
			opts    []slaq.Option
		}{
			{"unknown tier", "t", nil, []slaq.Option{slaq.WithTier(9)}},
			{"payload over the limit", "t", big, nil},
			{"malformed JSON", "t", []byte(`{"a":`), nil},
			{"empty type", "", nil, nil},
			{"zero attempts", "t", nil, []slaq.Option{slaq.MaxAttempts(0)}},
			{"negative delay", "t", nil, []slaq.Option{slaq.Delay(-time.Second)}},
			{"zero timeout", "t", nil, []slaq.Option{slaq.Timeout(0)}},
			{"empty unique key", "t", nil, []slaq.Option{slaq.Unique("", time.Minute)}},
			{"unencodable payload", "t", make(chan int), nil},
			{"invalid UTF-8 inside a JSON string", "t", []byte("{\"name\":\"\xff\xfe\"}"), nil},
			{"type with NUL", "send\x00email", nil, nil},
			{"type not UTF-8", "send\xffemail", nil, nil},
			{"type over the length limit", strings.Repeat("t", 3000), nil, nil},
			{"unique key with NUL", "t", nil, []slaq.Option{slaq.Unique("a\x00b", time.Minute)}},
			{"tier 0", "t", nil, []slaq.Option{slaq.WithTier(0)}},
			{"negative retention", "t", nil, []slaq.Option{slaq.Retention(-time.Second)}},
			{"zero backoff (say slaq.None)", "t", nil, []slaq.Option{slaq.Backoff(0)}},
		}
		for _, tc := range cases {
			_, err := c.Enqueue(ctx, tc.typ, tc.payload, tc.opts...)
			if !errors.Is(err, slaq.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", tc.name, err)
			}
		}
		var nilCtx context.Context // the bad input under test
		if _, err := c.Enqueue(nilCtx, "t", nil); !errors.Is(err, slaq.ErrInvalid) {
			t.Errorf("nil context: err = %v, want ErrInvalid", err)
		}
		_, err := c.EnqueueBulk(ctx, []slaq.Request{{Type: "ok"}, {Type: "bad", Payload: []byte("nope")}})
		if !errors.Is(err, slaq.ErrInvalid) {
			t.Errorf("bulk with one bad job: err = %v", err)
		}
		m, err := c.Metrics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for tier, tm := range m {
			if tm.Total != 0 {
				t.Errorf("tier %s holds %d jobs after bad input", tier, tm.Total)
			}
		}
	})
}

func TestUniqueKeyDedupes(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		c := newClient(t, open(t), slaq.Config{})
		ctx := context.Background()
		first, err := c.Enqueue(ctx, "webhook_cryptomus", nil, slaq.Unique("pay-42", time.Minute), slaq.WithTier(slaq.High))
		if err != nil {
			t.Fatal(err)
		}
		second, err := c.Enqueue(ctx, "webhook_cryptomus", nil, slaq.Unique("pay-42", time.Minute), slaq.WithTier(slaq.High))
		if err != nil || second != first {
			t.Fatalf("duplicate enqueue returned %q, %v; want %q", second, err, first)
		}
		m, _ := c.Metrics(ctx)
		if m["HIGH"].Waiting != 1 {
			t.Fatalf("HIGH waiting = %d, want 1", m["HIGH"].Waiting)
		}
	})
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		mux := slaq.NewServeMux()
		mux.HandleFunc("noop", func(ctx context.Context, j *slaq.Job) error { return nil })
		c := newClient(t, open(t), slaq.Config{Handler: mux})
		ctx := context.Background()
		if err := c.Pause(ctx, slaq.Batch); err != nil {
			t.Fatal(err)
		}
		paused, err := c.Enqueue(ctx, "noop", nil, slaq.WithTier(slaq.Batch))
		if err != nil {
			t.Fatalf("a paused tier must accept enqueues: %v", err)
		}
		// Another tier keeps working; once its job is done, the paused one has had every chance.
		other, _ := c.Enqueue(ctx, "noop", nil, slaq.WithTier(slaq.Low))
		waitState(t, c, other, store.StateCompleted)
		if j, _ := c.Job(ctx, paused); j.State != store.StateWaiting {
			t.Fatalf("job in paused tier is %s", j.State)
		}
		m, _ := c.Metrics(ctx)
		if !m["BATCH"].Paused {
			t.Fatal("metrics do not show BATCH paused")
		}
		if err := c.Resume(ctx, slaq.Batch); err != nil {
			t.Fatal(err)
		}
		waitState(t, c, paused, store.StateCompleted)
	})
}

// A delayed job runs at its time, not before and not at the next idle check: the idle wait is
// set far beyond the test's deadline, so only the fetcher's timed wake-up can start it.
func TestDelayedJobRunsOnTime(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		started := make(chan time.Time, 1)
		mux := slaq.NewServeMux()
		mux.HandleFunc("send_otp", func(ctx context.Context, j *slaq.Job) error { started <- time.Now(); return nil })
		c := newClient(t, open(t), slaq.Config{Handler: mux, IdleWait: time.Hour})
		runAt := time.Now().Add(300 * time.Millisecond)
		id, err := c.Enqueue(context.Background(), "send_otp", nil, slaq.WithTier(slaq.Critical), slaq.RunAt(runAt))
		if err != nil {
			t.Fatal(err)
		}
		if j, _ := c.Job(context.Background(), id); j.State != store.StateDelayed {
			t.Fatalf("state %s, want delayed", j.State)
		}
		select {
		case at := <-started:
			if at.Before(runAt.Truncate(time.Millisecond)) {
				t.Fatalf("ran %s before its time", runAt.Sub(at))
			}
			t.Logf("started %s after its time", at.Sub(runAt))
			if late := at.Sub(runAt); late > time.Second {
				t.Fatalf("started %s late: beyond CRITICAL's 1 s target", late)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("delayed job never ran")
		}
	})
}

// Settings resolve per enqueue, then per job type, then per tier.
func TestSettingsResolveEnqueueThenTypeThenTier(t *testing.T) {
	t.Parallel()
	c := newClient(t, openEmbedded(t), slaq.Config{
		Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Low: {Backoff: 7 * time.Second}},
		Types: map[string]slaq.TypeConfig{"generate_report": {Tier: slaq.Low, MaxAttempts: 4, Timeout: 10 * time.Minute}},
	})
	ctx := context.Background()
	cases := []struct {
		name        string
		typ         string
		opts        []slaq.Option
		tier        slaq.Tier
		attempts    int
		timeout     time.Duration
		backoff     time.Duration
		wantDelayed bool
	}{
		{"type defaults over tier defaults", "generate_report", nil, slaq.Low, 4, 10 * time.Minute, 7 * time.Second, false},
		{"enqueue options over type defaults", "generate_report",
			[]slaq.Option{slaq.WithTier(slaq.Batch), slaq.MaxAttempts(2), slaq.Timeout(time.Minute), slaq.Backoff(time.Second), slaq.Delay(time.Hour)},
			slaq.Batch, 2, time.Minute, time.Second, true},
		{"no type config: MEDIUM and its defaults", "send_email", nil, slaq.Medium, 2, 2 * time.Minute, 2 * time.Second, false},
		{"tier by enqueue, rest from that tier", "send_email", []slaq.Option{slaq.WithTier(slaq.Critical)}, slaq.Critical, 5, 30 * time.Second, 2 * time.Second, false},
	}
	for _, tc := range cases {
		id, err := c.Enqueue(ctx, tc.typ, nil, tc.opts...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		j, err := c.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Tier != tc.tier || j.MaxAttempts != tc.attempts || j.TimeoutMs != tc.timeout.Milliseconds() ||
			j.BackoffMs != tc.backoff.Milliseconds() || (j.State == store.StateDelayed) != tc.wantDelayed {
			t.Errorf("%s: got tier %s attempts %d timeout %dms backoff %dms state %s", tc.name, j.Tier, j.MaxAttempts, j.TimeoutMs, j.BackoffMs, j.State)
		}
	}
}

// The cleaner enforces retention: completed jobs go once their retention passes, and no more
// than KeepCompleted stay per tier.
func TestRetentionCleaner(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		mux := slaq.NewServeMux()
		mux.HandleFunc("noop", func(ctx context.Context, j *slaq.Job) error { return nil })
		c := newClient(t, open(t), slaq.Config{Handler: mux, CleanInterval: 20 * time.Millisecond, KeepCompleted: 3})
		ctx := context.Background()
		short, err := c.Enqueue(ctx, "noop", nil, slaq.WithTier(slaq.High), slaq.Retention(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for range 5 {
			id, err := c.Enqueue(ctx, "noop", nil, slaq.WithTier(slaq.Low))
			if err != nil {
				t.Fatal(err)
			}
			waitState(t, c, id, store.StateCompleted) // one at a time, so finish order is enqueue order
			kept = append(kept, id)
		}
		waitFor(t, 10*time.Second, "the short-retention job to be cleaned", func() bool {
			_, err := c.Job(ctx, short)
			return errors.Is(err, slaq.ErrNotFound)
		})
		waitFor(t, 10*time.Second, "LOW to keep only its 3 newest completed jobs", func() bool {
			gone := 0
			for _, id := range kept[:2] {
				if _, err := c.Job(ctx, id); errors.Is(err, slaq.ErrNotFound) {
					gone++
				}
			}
			return gone == 2
		})
		for _, id := range kept[2:] {
			if j, err := c.Job(ctx, id); err != nil || j.State != store.StateCompleted {
				t.Fatalf("a recent completed job was cleaned: %v", err)
			}
		}
	})
}

// Sub-millisecond durations round up to a whole millisecond instead of becoming 0 (which
// would silently mean "the tier's default").
func TestSubMillisecondDurationsRoundUp(t *testing.T) {
	t.Parallel()
	c := newClient(t, openEmbedded(t), slaq.Config{})
	id, err := c.Enqueue(context.Background(), "t", nil, slaq.Timeout(500*time.Microsecond), slaq.Backoff(1500*time.Microsecond))
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if j.TimeoutMs != 1 || j.BackoffMs != 2 {
		t.Fatalf("timeout %d ms, backoff %d ms; want 1 and 2", j.TimeoutMs, j.BackoffMs)
	}
}

// KeepCompleted holds as jobs complete, without waiting for the cleaner (set here to an hour).
func TestKeepCompletedAsJobsComplete(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		mux := slaq.NewServeMux()
		mux.HandleFunc("noop", func(ctx context.Context, j *slaq.Job) error { return nil })
		c := newClient(t, open(t), slaq.Config{Handler: mux, CleanInterval: time.Hour, KeepCompleted: 3})
		ctx := context.Background()
		var ids []string
		for range 5 {
			id, err := c.Enqueue(ctx, "noop", nil, slaq.WithTier(slaq.Low))
			if err != nil {
				t.Fatal(err)
			}
			waitState(t, c, id, store.StateCompleted)
			ids = append(ids, id)
		}
		for i, id := range ids {
			_, err := c.Job(ctx, id)
			if gone := errors.Is(err, slaq.ErrNotFound); gone != (i < 2) {
				t.Errorf("job %d: err %v; want the two oldest gone and the rest kept", i, err)
			}
		}
	})
}

// Settings say None for zero: a tier with no workers of its own still has its jobs run by
// helpers; zero fields take defaults; bad values are refused.
func TestConfigConventions(t *testing.T) {
	t.Parallel()
	bad := []slaq.Config{
		{Tiers: map[slaq.Tier]slaq.TierConfig{slaq.High: {Workers: -5}}},
		{Tiers: map[slaq.Tier]slaq.TierConfig{9: {}}},
		{Retention: -time.Minute},
		{ShutdownGrace: -time.Second},
		{Types: map[string]slaq.TypeConfig{"x": {Tier: 7}}},
	}
	for i, cfg := range bad {
		if _, err := slaq.New(openEmbedded(t), cfg); !errors.Is(err, slaq.ErrInvalidConfig) {
			t.Errorf("config %d: err = %v, want ErrInvalidConfig", i, err)
		}
	}
	mux := slaq.NewServeMux()
	mux.HandleFunc("noop", func(ctx context.Context, j *slaq.Job) error { return nil })
	c := newClient(t, openEmbedded(t), slaq.Config{Handler: mux,
		Tiers: map[slaq.Tier]slaq.TierConfig{slaq.High: {Workers: slaq.None}}})
	m, err := c.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m["HIGH"].Workers != 0 || m["CRITICAL"].Workers != 20 || m["BATCH"].MaxWorkers != 1 {
		t.Fatalf("workers: HIGH %d, CRITICAL %d, BATCH max %d; want 0, 20, 1", m["HIGH"].Workers, m["CRITICAL"].Workers, m["BATCH"].MaxWorkers)
	}
	id, err := c.Enqueue(context.Background(), "noop", nil, slaq.WithTier(slaq.High))
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, c, id, store.StateCompleted) // run by a helping worker
}

// Every event reaches the observers, in order per job, and a stuck observer never slows the
// workers: what it cannot take is dropped and counted.
func TestEvents(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		mux := slaq.NewServeMux()
		mux.HandleFunc("noop", func(ctx context.Context, j *slaq.Job) error { return nil })
		mux.HandleFunc("flaky", func(ctx context.Context, j *slaq.Job) error {
			if j.Attempts == 0 {
				return errors.New("first try fails")
			}
			return nil
		})
		events := make(chan slaq.Event, 100)
		block := make(chan struct{})
		var blocked atomic.Int32
		stuck := slaq.ObserverFunc(func(e slaq.Event) {
			if blocked.Add(1) == 1 {
				<-block
			}
		})
		c := newClient(t, open(t), slaq.Config{Handler: mux, EventBuffer: 4,
			Tiers:     map[slaq.Tier]slaq.TierConfig{slaq.High: {Backoff: time.Millisecond}},
			Observers: []slaq.Observer{slaq.ObserverFunc(func(e slaq.Event) { events <- e }), stuck}})
		ctx := context.Background()
		id, err := c.Enqueue(ctx, "flaky", nil, slaq.WithTier(slaq.High))
		if err != nil {
			t.Fatal(err)
		}
		// The first event blocks the stuck observer: later events queue (4) and then drop,
		// while the jobs keep running.
		var ids []string
		for range 20 {
			nid, err := c.Enqueue(ctx, "noop", nil, slaq.WithTier(slaq.High))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, nid)
		}
		for _, nid := range append(ids, id) {
			waitState(t, c, nid, store.StateCompleted)
		}
		if c.EventsDropped() == 0 {
			t.Fatal("no events dropped behind a stuck observer")
		}
		close(block)
		// The flaky job's first event (enqueued, or started if a worker was quicker than
		// Enqueue's return) was the one that blocked; the others behind it follow in order.
		got := <-events
		if got.Job.ID != id || (got.Kind != slaq.EventEnqueued && got.Kind != slaq.EventStarted) {
			t.Fatalf("first event %v for %s; want enqueued or started for %s", got.Kind, got.Job.ID, id)
		}
	})
}
