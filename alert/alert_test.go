package alert_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/alert"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/redisstore"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// record is a notifier keeping what it was sent.
type record struct {
	mu   sync.Mutex
	got  []alert.Alert
	fail error
}

func (r *record) Name() string { return "record" }
func (r *record) Notify(_ context.Context, a alert.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, a)
	return nil
}
func (r *record) alerts() []alert.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alert.Alert(nil), r.got...)
}

func flush(t *testing.T, ms ...*alert.Manager) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, m := range ms {
		if err := m.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func deadLetter(id, typ string, tier slaq.Tier) slaq.Event {
	return slaq.Event{Kind: slaq.EventDeadLettered, At: time.Now(), Error: "smtp: 550 mailbox unavailable",
		Job: &slaq.Job{ID: id, Type: typ, Tier: tier, Attempts: 3, MaxAttempts: 3, Payload: []byte(`{}`)}}
}

func breach(id string, tier slaq.Tier) slaq.Event {
	return slaq.Event{Kind: slaq.EventSLABreach, At: time.Now(), Pickup: 1500 * time.Millisecond,
		Job: &slaq.Job{ID: id, Type: "send_otp", Tier: tier}}
}

// TestOnceAcrossReplicas: two replicas, each with its own handle on one store, see the same
// storm of dead letters and SLA breaches; one alert per key goes out in all.
func TestOnceAcrossReplicas(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (store.Store, store.Store)
	}{
		{"embedded", func(t *testing.T) (store.Store, store.Store) {
			path := filepath.Join(t.TempDir(), "slaq.db")
			return openSQLite(t, path), openSQLite(t, path)
		}},
		{"redis", func(t *testing.T) (store.Store, store.Store) {
			prefix := testenv.RedisPrefix(t)
			return openRedis(t, prefix), openRedis(t, prefix)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.open(t)
			rec := &record{}
			ma := alert.New(alert.Options{Claimer: a, Notifiers: []alert.Notifier{rec}})
			mb := alert.New(alert.Options{Claimer: b, Notifiers: []alert.Notifier{rec}})
			defer ma.Close(context.Background())
			defer mb.Close(context.Background())
			for i := range 20 {
				for _, m := range []*alert.Manager{ma, mb} {
					m.Observe(deadLetter("3job", "send_email", slaq.Medium))
					m.Observe(deadLetter("2job", "payment_webhook", slaq.High))
					m.Observe(breach("1job", slaq.Critical))
				}
				if i == 0 {
					flush(t, ma, mb) // the first round decides the claims
				}
			}
			flush(t, ma, mb)
			got := map[string]int{}
			for _, x := range rec.alerts() {
				got[x.Key]++
			}
			want := map[string]int{"dead_letter:send_email": 1, "dead_letter:payment_webhook": 1, "sla_breach:CRITICAL": 1}
			if len(got) != len(want) {
				t.Fatalf("alerts %v, want %v", got, want)
			}
			for k, n := range want {
				if got[k] != n {
					t.Fatalf("alerts %v, want %v", got, want)
				}
			}
			sa, sb := ma.Stats(), mb.Stats()
			if sa.Fired+sb.Fired != 3 || sa.Suppressed+sb.Suppressed != 3*40-3 || sa.Dropped+sb.Dropped != 0 {
				t.Fatalf("stats %+v %+v", sa, sb)
			}
			for _, x := range rec.alerts() {
				if x.Job == nil || x.Job.ID == "" || x.Job.Type == "" || !x.Job.Tier.Valid() || x.Summary == "" {
					t.Fatalf("alert without its job: %+v", x)
				}
				if x.Rule == alert.RuleDeadLetter && x.Error != "smtp: 550 mailbox unavailable" {
					t.Fatalf("dead-letter alert without the error: %+v", x)
				}
			}
		})
	}
}

func openSQLite(t *testing.T, path string) store.Store {
	st, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func openRedis(t *testing.T, prefix string) store.Store {
	st, err := redisstore.New(context.Background(), redisstore.Options{Addrs: []string{testenv.RedisAddr()}, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestThreshold: the guide's rule counts the dead-letter queue (every replica's dead letters):
// ten are quiet, the eleventh fires, once.
func TestThreshold(t *testing.T) {
	ctx := context.Background()
	db := testenv.SQLiteDLQ(t)
	rec := &record{}
	m := alert.New(alert.Options{Claimer: testenv.SQLiteStore(t), Notifiers: []alert.Notifier{rec},
		DeadLetterWindow: slaq.None, DeadLetters: alert.CountDLQ(db)})
	defer m.Close(ctx)
	now := time.Now().UnixMilli()
	for i := range 12 {
		j := &slaq.Job{ID: "3j" + string(rune('a'+i)), Type: "send_email", Tier: slaq.Medium, State: slaq.State("failed"),
			Attempts: 2, MaxAttempts: 2, Payload: []byte(`{}`), CreatedAt: now, FinishedAt: now, LastError: "boom"}
		if err := db.Add(ctx, []*slaq.Job{j}); err != nil {
			t.Fatal(err)
		}
		m.Observe(slaq.Event{Kind: slaq.EventDeadLettered, At: time.Now(), Job: j, Error: "boom"})
		flush(t, m)
		if n := len(rec.alerts()); (i < 10 && n != 0) || (i >= 10 && n != 1) {
			t.Fatalf("after %d dead letters: %d alerts", i+1, n)
		}
	}
	a := rec.alerts()[0]
	if a.Rule != alert.RuleThreshold || a.Count != 11 || a.Window != 24*time.Hour || a.Job == nil {
		t.Fatalf("alert %+v", a)
	}
}

// TestNotifierDown: a notifier that always fails is retried, then the alert counts as dropped;
// the other notifier still gets it, and Observe never waits for either.
func TestNotifierDown(t *testing.T) {
	down, up := &record{fail: errors.New("connection refused")}, &record{}
	m := alert.New(alert.Options{Notifiers: []alert.Notifier{down, up}, RetryWait: time.Millisecond})
	defer m.Close(context.Background())
	m.Observe(deadLetter("3a", "send_email", slaq.Medium))
	flush(t, m)
	if s := m.Stats(); s.Fired != 1 || s.Delivered != 1 || s.Dropped != 1 {
		t.Fatalf("stats %+v", s)
	}
	if len(up.alerts()) != 1 {
		t.Fatal("the working notifier got nothing")
	}
}

// TestSlowNotifierNeverBlocks: a notifier stuck for ever; the event stream goes on, and alerts
// beyond the queue are dropped and counted.
func TestSlowNotifierNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	stuck := notifyFunc(func(ctx context.Context, _ alert.Alert) error { <-release; return nil })
	m := alert.New(alert.Options{Notifiers: []alert.Notifier{stuck}, Queue: 2})
	start := time.Now()
	for i := range 100 {
		m.Observe(deadLetter("3a", "type"+string(rune('A'+i)), slaq.Medium))
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Observe took %s", d)
	}
	close(release)
	flush(t, m)
	if s := m.Stats(); s.Dropped == 0 || s.Fired+s.Dropped < 100 {
		t.Fatalf("stats %+v", s)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type notifyFunc func(context.Context, alert.Alert) error

func (f notifyFunc) Name() string                                    { return "func" }
func (f notifyFunc) Notify(ctx context.Context, a alert.Alert) error { return f(ctx, a) }

// TestRedact: notifiers get the job as Redact returns it, and the event's job is untouched.
func TestRedact(t *testing.T) {
	rec := &record{}
	redact := func(j *slaq.Job) *slaq.Job {
		cp := *j
		cp.Payload = slaq.RedactPayload(j.Payload, []string{"token"})
		return &cp
	}
	m := alert.New(alert.Options{Notifiers: []alert.Notifier{rec}, Redact: redact})
	defer m.Close(context.Background())
	e := deadLetter("3a", "send_password_reset", slaq.Critical)
	e.Job.Payload = []byte(`{"email":"a@example.com","token":"s3cret"}`)
	m.Observe(e)
	flush(t, m)
	got := rec.alerts()
	if len(got) != 1 || string(got[0].Job.Payload) != `{"email":"a@example.com","token":"[redacted]"}` {
		t.Fatalf("notified %+v", got)
	}
	if string(e.Job.Payload) != `{"email":"a@example.com","token":"s3cret"}` {
		t.Errorf("the event's job changed: %s", e.Job.Payload)
	}
}
