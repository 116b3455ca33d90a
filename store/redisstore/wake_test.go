package redisstore

import (
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// TestWakeCauses checks each cause of a wake-up against a waiter that is known to block
// (seen in BZPOPMIN in CLIENT LIST) with no marker left over, so that only the cause can
// wake it. (The conformance suite cannot tell a wake-up by its cause from one left over by
// the enqueue before it, which a level-triggered store keeps.)
func TestWakeCauses(t *testing.T) {
	const tier = store.Medium
	now := time.Now().UnixMilli()
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, s *Store) string // returns the job id
		cause   func(t *testing.T, s *Store, id string)
	}{
		{"Release", claimOne, func(t *testing.T, s *Store, id string) {
			if err := s.Ack(t.Context(), []store.Ack{{Kind: store.AckRelease, ID: id, Now: now}}); err != nil {
				t.Fatal(err)
			}
		}},
		{"Rescue", claimOne, func(t *testing.T, s *Store, id string) {
			if n, err := s.Rescue(t.Context(), tier, now+time.Hour.Milliseconds()); err != nil || n != 1 {
				t.Fatalf("Rescue = %d, %v", n, err)
			}
		}},
		{"Resume", func(t *testing.T, s *Store) string {
			if err := s.SetPaused(t.Context(), tier, true); err != nil {
				t.Fatal(err)
			}
			j := newTestJob(tier, now)
			if _, err := s.Enqueue(t.Context(), now, []*store.Job{j}); err != nil {
				t.Fatal(err)
			}
			return j.ID
		}, func(t *testing.T, s *Store, _ string) {
			if err := s.SetPaused(t.Context(), tier, false); err != nil {
				t.Fatal(err)
			}
		}},
		{"EarlierDelayed", func(t *testing.T, s *Store) string {
			j := newTestJob(tier, now)
			j.RunAt = now + 60_000
			if _, err := s.Enqueue(t.Context(), now, []*store.Job{j}); err != nil {
				t.Fatal(err)
			}
			return j.ID
		}, func(t *testing.T, s *Store, _ string) {
			j := newTestJob(tier, now)
			j.RunAt = now + 30_000
			if _, err := s.Enqueue(t.Context(), now, []*store.Job{j}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := openTest(t)
			name := "wake-" + base.Prefix()
			s, err := New(t.Context(), Options{Addrs: []string{testAddr()}, Prefix: base.Prefix(), ClientName: name})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			id := tc.prepare(t, s)
			drainWakes(t, s, tier)
			done := startWait(t.Context(), s, tier, time.Minute)
			waitBlocked(t, base, name, 1)
			wantBlocked(t, done, "before the cause")
			tc.cause(t, s, id)
			wantReturn(t, done, tc.name)
		})
	}
}

// drainQuiet is how long a Wait of drainWakes must last for the tier to count as drained.
const drainQuiet = 50 * time.Millisecond

// drainWakes takes every wake-up the tier has pending: it waits until a Wait lasts its whole
// time. (One short Wait is not enough: Wait returns at its own deadline, and a marker its
// blocking call takes later is kept for the next Wait.)
func drainWakes(t *testing.T, s *Store, tier store.Tier) {
	t.Helper()
	for range 10 {
		start := time.Now()
		if err := s.Wait(t.Context(), tier, drainQuiet); err != nil {
			t.Fatal(err)
		}
		if time.Since(start) >= drainQuiet {
			return
		}
	}
	t.Fatalf("tier %s still had wake-ups after 10 Waits", tier)
}

// claimOne enqueues one job and claims it with a 1 ms lease.
func claimOne(t *testing.T, s *Store) string {
	now := time.Now().UnixMilli()
	j := newTestJob(store.Medium, now)
	if _, err := s.Enqueue(t.Context(), now, []*store.Job{j}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: store.Medium, Limit: 1, Now: now, LeaseMs: 1})
	if err != nil || len(r.Jobs) != 1 {
		t.Fatalf("Fetch = %d jobs, %v", len(r.Jobs), err)
	}
	return j.ID
}
