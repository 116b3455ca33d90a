package redisstore

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// A short Wait on an idle tier returns when its time is up, not when Redis next times out
// blocked clients: the server does that only every 1000/hz ms (100 ms at the default hz 10),
// which would make a fetcher waiting for a rate-limited lane (every 10 ms at 100/s) start
// late, and the lane fall short of its rate. The server is one of the test's own, so that no
// other client's traffic wakes its event loop early.
func TestWaitReturnsOnTime(t *testing.T) {
	needBinaries(t, "redis-server")
	addr := startRedis(t, freePorts(t, 1)[0], "--hz", "10")
	s := openTest(t, addr)
	const (
		d     = 20 * time.Millisecond
		tries = 7
		// slack is how late a Wait may return: far below the server's 100 ms timeout tick,
		// far above a loaded machine's timer and round-trip delays.
		slack = 50 * time.Millisecond
	)
	// One Wait first: the blocking connection is dialled then, not timed.
	if err := s.Wait(t.Context(), store.Medium, d); err != nil {
		t.Fatal(err)
	}
	took := make([]time.Duration, tries)
	for i := range took {
		t0 := time.Now()
		if err := s.Wait(t.Context(), store.Medium, d); err != nil {
			t.Fatal(err)
		}
		took[i] = time.Since(t0)
	}
	slices.Sort(took)
	if med := took[tries/2]; med < d || med > d+slack {
		t.Fatalf("Wait(%v) took %v (median; all %v), want within [%v, %v]", d, med, took, d, d+slack)
	}
	// The connection the deadline cut is usable: a Wait still wakes on an enqueue.
	done := startWait(t.Context(), s, store.Medium, time.Minute)
	now := time.Now().UnixMilli()
	if _, err := s.Enqueue(t.Context(), now, []*store.Job{newTestJob(store.Medium, now)}); err != nil {
		t.Fatal(err)
	}
	wantReturn(t, done, "enqueue after cut waits")
}

// A Wait that ends because its ctx is done (a fetcher stopping while its store stays open)
// aborts its blocking call: left in flight, the call would take the next marker, and another
// process blocked on the tier would not wake.
func TestWaitCancelledLeavesNoCall(t *testing.T) {
	base := openTest(t)
	name := "cancel-" + base.Prefix()
	stopping, err := New(t.Context(), Options{Addrs: []string{testAddr()}, Prefix: base.Prefix(), ClientName: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stopping.Close() })
	const tier = store.Low
	ctx, cancel := context.WithCancel(t.Context())
	done := startWait(ctx, stopping, tier, time.Minute)
	waitBlocked(t, base, name, 1)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Wait returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled Wait still blocked after 5s")
	}
	// Another process blocks on the tier after the cancelled one; an enqueue must wake it.
	other := startWait(t.Context(), base, tier, time.Minute)
	waitBlocked(t, base, DefaultClientName, 1)
	now := time.Now().UnixMilli()
	if _, err := base.Enqueue(t.Context(), now, []*store.Job{newTestJob(tier, now)}); err != nil {
		t.Fatal(err)
	}
	wantReturn(t, other, "the other process's Wait after the cancelled one")
}
