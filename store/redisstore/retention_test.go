package redisstore

import (
	"context"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// TestCleanInSweepBatches: a Clean whose Limit exceeds Options.SweepBatch runs several script
// calls and still deletes at most Limit of each kind, oldest first, leaving the rest and the
// running totals alone.
func TestCleanInSweepBatches(t *testing.T) {
	const tier = store.Batch
	base := openTest(t)
	s, err := New(context.Background(), Options{Addrs: []string{testAddr()}, Prefix: base.Prefix(), SweepBatch: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	k := newRawKit(t, s.Prefix(), tier)
	cids := seedFinished(k, "c", "c", []int64{100, 200, 300, 400, 500, 600, 700})
	fids := seedFinished(k, "f", "f", []int64{100, 200, 300, 400, 500, 600, 700})
	k.hset("s", "c", "7", "f", "7")
	// Completed: all expired (FinishedAt + 5000 <= now). Failed: those finished by 400.
	req := store.CleanRequest{Tier: tier, Now: 10_000, FailedRetainMs: 9_600, Limit: 5}
	r, err := s.Clean(t.Context(), req)
	if err != nil || r != (store.CleanResult{Completed: 5, Failed: 4}) {
		t.Fatalf("Clean = %+v, %v; want 5 completed, 4 failed", r, err)
	}
	// seedFinished lists newest first: the two newest completed and three newest failed stay.
	want := map[string]string{
		"j": "hash[" + cids[1] + "=c||1000|1500|600||5000|3|10000|2000|1000||4||||noop{} " +
			cids[0] + "=c||1000|1500|700||5000|3|10000|2000|1000||4||||noop{} " +
			fids[2] + "=f||1000|1500|500||5000|3|10000|2000|1000||4||||noop{} " +
			fids[1] + "=f||1000|1500|600||5000|3|10000|2000|1000||4||||noop{} " +
			fids[0] + "=f||1000|1500|700||5000|3|10000|2000|1000||4||||noop{}]",
		"c": "zset[" + cids[1] + "=600 " + cids[0] + "=700]",
		"x": "zset[" + cids[1] + "=5600 " + cids[0] + "=5700]",
		"f": "zset[" + fids[2] + "=500 " + fids[1] + "=600 " + fids[0] + "=700]",
		"s": "hash[c=7 f=7]",
	}
	k.wantState("after Clean", want)
	// By count: keep the newest completed and two failed.
	r, err = s.Clean(t.Context(), store.CleanRequest{Tier: tier, Now: 0, KeepCompleted: 1, KeepFailed: 2, Limit: 100})
	if err != nil || r != (store.CleanResult{Completed: 1, Failed: 1}) {
		t.Fatalf("Clean by count = %+v, %v; want 1 and 1", r, err)
	}
	if _, err := s.Clean(t.Context(), store.CleanRequest{Tier: tier, Limit: 0}); err == nil {
		t.Fatal("Clean with Limit 0: no error")
	}
}
