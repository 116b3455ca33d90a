package slaq_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store"
)

// deadRow adds a dead letter that failed at failedAt.
func deadRow(t *testing.T, db *dlq.DB, failedAt time.Time) string {
	t.Helper()
	ms := failedAt.UnixMilli()
	j := &store.Job{ID: store.NewID(store.High, ms), Type: "charge", Tier: store.High, Payload: []byte(`{}`),
		State: store.StateFailed, Attempts: 3, MaxAttempts: 3, CreatedAt: ms - 1000, StartedAt: ms - 10, FinishedAt: ms,
		LastError: "card declined"}
	if err := db.Add(t.Context(), []*store.Job{j}); err != nil {
		t.Fatal(err)
	}
	return j.ID
}

// Two replicas share a dead-letter queue with a retention: each interval, one of them purges
// the rows past retention (the other finds the round claimed), newer rows stay, and the
// purge is counted.
func TestDeadLetterRetentionPurgesOncePerRound(t *testing.T) {
	t.Parallel()
	const retain, every = 30 * 24 * time.Hour, time.Hour
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		st := open(t)
		db := openDLQ(t, filepath.Join(t.TempDir(), "dead.db"))
		clock := service.NewFakeClock(time.UnixMilli(1_800_000_000_000)) // the start of an hour
		now := clock.Now()
		old := []string{deadRow(t, db, now.Add(-retain-time.Hour)), deadRow(t, db, now.Add(-retain-time.Millisecond))}
		keep := deadRow(t, db, now.Add(-retain+time.Minute))
		cfg := slaq.Config{Handler: slaq.NewServeMux(), DeadLetters: db, Clock: clock,
			DeadLetterRetention: retain, DeadLetterPurgeInterval: every}
		a, b := mustNew(t, st, cfg), mustNew(t, st, cfg)
		round := func(what string) (purged int) {
			t.Helper()
			na, err := slaq.WaitPurged(a, 10*time.Second)
			if err != nil {
				t.Fatalf("%s: replica a: %v", what, err)
			}
			nb, err := slaq.WaitPurged(b, 10*time.Second)
			if err != nil {
				t.Fatalf("%s: replica b: %v", what, err)
			}
			if (na < 0) == (nb < 0) {
				t.Fatalf("%s: replicas purged %d and %d; want exactly one to have the round (-1: not its round)", what, na, nb)
			}
			return max(na, nb)
		}
		if n := round("first round"); n != len(old) {
			t.Fatalf("first round purged %d, want %d", n, len(old))
		}
		for _, id := range old {
			if _, err := db.Job(t.Context(), id); !errors.Is(err, slaq.ErrNotFound) {
				t.Fatalf("row %s past retention still there: %v", id, err)
			}
		}
		if _, err := db.Job(t.Context(), keep); err != nil {
			t.Fatalf("row inside retention gone: %v", err)
		}
		// An hour later the kept row is past retention too; the next round takes it.
		clock.Advance(every)
		if n := round("second round"); n != 1 {
			t.Fatalf("second round purged %d, want 1", n)
		}
		if got := a.RetentionStats().DeadLettersPurged + b.RetentionStats().DeadLettersPurged; got != 3 {
			t.Fatalf("RetentionStats count %d purged over both replicas, want 3", got)
		}
	})
}

// mustNew starts a client with test signals and stops it when the test ends.
func mustNew(t *testing.T, st store.Store, cfg slaq.Config) *slaq.Client {
	t.Helper()
	c, err := slaq.New(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := slaq.StartWithSignals(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c
}

// A retention the queue cannot honour is refused at New.
func TestDeadLetterRetentionRefused(t *testing.T) {
	t.Parallel()
	st := openEmbedded(t)
	db := openDLQ(t, filepath.Join(t.TempDir(), "dead.db"))
	for _, c := range []struct {
		name string
		cfg  slaq.Config
	}{
		{"negative", slaq.Config{DeadLetters: db, DeadLetterRetention: -time.Hour}},
		{"no queue", slaq.Config{DeadLetterRetention: time.Hour}},
		{"no Purge method", slaq.Config{DeadLetters: noPurge{db}, DeadLetterRetention: time.Hour}},
		{"negative interval", slaq.Config{DeadLetters: db, DeadLetterRetention: time.Hour, DeadLetterPurgeInterval: -1}},
	} {
		if _, err := slaq.New(st, c.cfg); !errors.Is(err, slaq.ErrInvalidConfig) {
			t.Errorf("%s: New = %v, want ErrInvalidConfig", c.name, err)
		}
	}
}

// noPurge is a dead-letter queue without a Purge method.
type noPurge struct{ db *dlq.DB }

func (n noPurge) Add(ctx context.Context, jobs []*slaq.Job) error       { return n.db.Add(ctx, jobs) }
func (n noPurge) Job(ctx context.Context, id string) (*slaq.Job, error) { return n.db.Job(ctx, id) }
func (n noPurge) Delete(ctx context.Context, ids ...string) (int, error) {
	return n.db.Delete(ctx, ids...)
}
