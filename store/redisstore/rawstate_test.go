package redisstore

import (
	"errors"
	"slices"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// Raw-state tests: each seeds a tier's keys with the raw kit, runs one store call, and checks
// every key of the tier afterwards, so a script that leaves a stray entry, forgets one, or
// writes a record off the documented format fails. Records are spelled out as in doc.go:
// state|Attempts|RunAt|StartedAt|FinishedAt|LeaseUntil|RetainMs|MaxAttempts|TimeoutMs|
// BackoffMs|CreatedAt|UniqueTTLMs|len(Type)|len(UniqueKey)|len(LastError)|len(Result)|, then
// Type, UniqueKey, LastError, Result and Payload.

const (
	rawID  = "2RAWJ0B0000000000000001" // a High job (first character 2)
	rawOld = "2RAWJ0B0000000000000000"
	// rawActive is rawID's record while it runs: fetch leaves the waiting record as it was.
	rawActive = "w||1000|||||3|10000|2000|1000||4||||noop{}"
	// rawActiveKept is the same with RetainMs 5000.
	rawActiveKept = "w||1000||||5000|3|10000|2000|1000||4||||noop{}"
)

// seedActive seeds rawID as fetch leaves a claimed job: record, active ZSET entry (LeaseUntil
// 32000) and started HASH entry (StartedAt 2000).
func seedActive(k *rawKit, rec string) {
	k.t.Helper()
	k.hset("j", rawID, rec)
	k.zadd("a", "32000", rawID)
	k.hset("t", rawID, "2000")
}

// TestAckRawState checks the exact keys ack.lua leaves for each kind of ack.
func TestAckRawState(t *testing.T) {
	const tier = store.High
	for _, tc := range []struct {
		name string
		rec  string            // rawID's record while active
		seed func(k *rawKit)   // more state before the ack
		ack  store.Ack         // rawID's ack
		want map[string]string // every key of the tier after it, nil: as before the ack
	}{
		{
			name: "CompleteDeleted",
			rec:  rawActive,
			ack:  store.Ack{Kind: store.AckComplete, ID: rawID, Now: 2500, Result: []byte("ok"), StartedAt: 2000},
			want: map[string]string{"s": "hash[c=1]"},
		},
		{
			name: "CompleteRetained",
			rec:  rawActiveKept,
			ack:  store.Ack{Kind: store.AckComplete, ID: rawID, Now: 2500, Result: []byte("ok"), StartedAt: 2000},
			want: map[string]string{
				"j": "hash[" + rawID + "=c||1000|2000|2500||5000|3|10000|2000|1000||4|||2|noopok{}]",
				"c": "zset[" + rawID + "=2500]",
				"x": "zset[" + rawID + "=7500]",
				"s": "hash[c=1]",
			},
		},
		{
			name: "CompleteTrimsToKeep",
			rec:  rawActiveKept,
			seed: func(k *rawKit) {
				k.hset("j", rawOld, "c||500|600|700||5000|3|10000|2000|500||4||||noop{}")
				k.zadd("c", "700", rawOld)
				k.zadd("x", "5700", rawOld)
				k.set("u:k", rawOld+":99999") // its unique key: completion and trimming keep it
			},
			ack: store.Ack{Kind: store.AckComplete, ID: rawID, Now: 2500, StartedAt: 2000, KeepCompleted: 1},
			want: map[string]string{
				"j":   "hash[" + rawID + "=c||1000|2000|2500||5000|3|10000|2000|1000||4||||noop{}]",
				"c":   "zset[" + rawID + "=2500]",
				"x":   "zset[" + rawID + "=7500]",
				"s":   "hash[c=1]",
				"u:k": "string[" + rawOld + ":99999]",
			},
		},
		{
			name: "Retry",
			rec:  rawActive,
			ack:  store.Ack{Kind: store.AckRetry, ID: rawID, Now: 2500, RunAt: 9000, Error: "boom", StartedAt: 2000},
			want: map[string]string{
				"j": "hash[" + rawID + "=d|1|9000|2000||||3|10000|2000|1000||4||4||noopboom{}]",
				"d": "zset[0000000001" + rawID + "=9000]",
				"s": "hash[q=1]",
				"m": "zset[m=0]",
			},
		},
		{
			name: "Snooze",
			rec:  rawActive,
			ack:  store.Ack{Kind: store.AckSnooze, ID: rawID, Now: 2500, RunAt: 9000, StartedAt: 2000},
			want: map[string]string{
				"j": "hash[" + rawID + "=d||9000|2000||||3|10000|2000|1000||4||||noop{}]",
				"d": "zset[0000000001" + rawID + "=9000]",
				"s": "hash[q=1]",
				"m": "zset[m=0]",
			},
		},
		{
			name: "Release",
			rec:  rawActive,
			seed: func(k *rawKit) {
				k.hset("j", rawOld, "w||1500|||||3|10000|2000|1500||4||||noop{}")
				k.rpush("w", rawOld) // waiting since before: the released job goes ahead of it
			},
			ack: store.Ack{Kind: store.AckRelease, ID: rawID, Now: 2500, StartedAt: 2000},
			want: map[string]string{
				"j": "hash[" + rawOld + "=w||1500|||||3|10000|2000|1500||4||||noop{} " +
					rawID + "=w||1000|2000||||3|10000|2000|1000||4||||noop{}]",
				"w": "list[" + rawOld + " " + rawID + "]",
				"m": "zset[m=0]",
			},
		},
		{
			name: "Fail",
			rec:  rawActive,
			ack:  store.Ack{Kind: store.AckFail, ID: rawID, Now: 2500, Error: "boom", StartedAt: 2000},
			want: map[string]string{
				"j": "hash[" + rawID + "=f|1|1000|2000|2500|||3|10000|2000|1000||4||4||noopboom{}]",
				"f": "zset[" + rawID + "=2500]",
				"s": "hash[f=1]",
			},
		},
		{
			name: "FencedOut", // the ack names an earlier run: nothing changes
			rec:  rawActive,
			ack:  store.Ack{Kind: store.AckFail, ID: rawID, Now: 2500, Error: "late", StartedAt: 1999},
		},
		{
			name: "NotActive", // the job waits (it was rescued): nothing changes
			seed: func(k *rawKit) {
				k.hset("j", rawID, rawActive)
				k.rpush("w", rawID)
			},
			ack: store.Ack{Kind: store.AckComplete, ID: rawID, Now: 2500},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			k := newRawKit(t, s.Prefix(), tier)
			if tc.rec != "" {
				seedActive(k, tc.rec)
			}
			if tc.seed != nil {
				tc.seed(k)
			}
			before := k.dump()
			if len(before) == 0 {
				t.Fatal("nothing seeded")
			}
			if err := s.Ack(t.Context(), []store.Ack{tc.ack}); err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == nil {
				want = before
			}
			k.wantState("after the ack", want)
		})
	}
}

// TestFetchRawState: a due delayed job is promoted and claimed; a due delayed id without a
// record is dropped, never pushed; a waiting id without a record is popped and dropped; a
// job whose previous run started at or after now starts one ms later than that run.
func TestFetchRawState(t *testing.T) {
	const tier = store.High
	s := openTest(t)
	k := newRawKit(t, s.Prefix(), tier)
	const ghost = "2RAWJ0B000000000000GH0ST"
	// rawOld: waited, ran (StartedAt 5000), was handed back; now is 5000 again.
	k.hset("j", rawOld, "w||1000|5000||||3|10000|2000|1000||4||||noop{}")
	k.rpush("w", rawOld, ghost) // ghost is at the pop end
	// rawID: delayed until 4000, due.
	k.hset("j", rawID, "d||4000|||||3|10000|2000|1000||4||||noop{}")
	k.zadd("d", "4000", "0000000001"+rawID, "4000", "0000000002"+ghost)
	r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: 10, Now: 5000, LeaseMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, j := range r.Jobs {
		got[j.ID] = j.StartedAt
	}
	if len(r.Jobs) != 2 || got[rawOld] != 5001 || got[rawID] != 5000 {
		t.Fatalf("Fetch claimed %v (id -> StartedAt), want %s at 5001 and %s at 5000", got, rawOld, rawID)
	}
	k.wantState("after the fetch", map[string]string{
		"j": "hash[" + rawOld + "=w||1000|5000||||3|10000|2000|1000||4||||noop{} " +
			rawID + "=w||4000|||||3|10000|2000|1000||4||||noop{}]",
		"a": "zset[" + rawOld + "=6000 " + rawID + "=6000]",
		"t": "hash[" + rawOld + "=5001 " + rawID + "=5000]",
	})
}

// TestFetchScriptGuardsLimit: the fetch script itself refuses a limit or a promotion batch
// below 1 (a promotion of 0 would otherwise reach ZREMRANGEBYRANK 0 -1, deleting every
// delayed job) and changes nothing; Fetch refuses a Limit below 1 before calling it.
func TestFetchScriptGuardsLimit(t *testing.T) {
	const tier = store.High
	s := openTest(t)
	k := newRawKit(t, s.Prefix(), tier)
	k.hset("j", rawID, "d||4000|||||3|10000|2000|1000||4||||noop{}")
	k.zadd("d", "4000", "0000000001"+rawID)
	before := k.dump()
	for _, lim := range [][2]int{{0, 10}, {10, 0}, {-1, -1}} {
		req := store.FetchRequest{Tier: tier, Limit: lim[0], Now: 5000, LeaseMs: 1000}
		if _, err := s.run(t.Context(), fetchCall(&s.tiers[tier.Index()], req, lim[1])); err == nil {
			t.Errorf("fetch script with limit %d, promote %d: no error", lim[0], lim[1])
		}
		k.wantState("after a refused fetch script", before)
	}
	if _, err := s.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: 0, Now: 5000, LeaseMs: 1000}); err == nil {
		t.Error("Fetch with Limit 0: no error")
	}
	k.wantState("after a refused Fetch", before)
}

// TestRescueRawState: an expired job goes back to waiting with RunAt = now and its run's
// StartedAt in the record; an expired id without a record leaves the active ZSET and the
// started HASH and is not pushed; a job whose lease has not expired stays.
func TestRescueRawState(t *testing.T) {
	const tier = store.High
	s := openTest(t)
	k := newRawKit(t, s.Prefix(), tier)
	const ghost, live = "2RAWJ0B000000000000GH0ST", "2RAWJ0B000000000000L1VE"
	seedActive(k, rawActive) // LeaseUntil 32000
	k.zadd("a", "100", ghost)
	k.hset("t", ghost, "50")
	k.hset("j", live, rawActive)
	k.zadd("a", "99999", live)
	k.hset("t", live, "2100")
	n, err := s.Rescue(t.Context(), tier, 40000)
	if err != nil || n != 1 {
		t.Fatalf("Rescue = %d, %v; want 1", n, err)
	}
	k.wantState("after the rescue", map[string]string{
		"j": "hash[" + rawID + "=w||40000|2000||||3|10000|2000|1000||4||||noop{} " + live + "=" + rawActive + "]",
		"w": "list[" + rawID + "]",
		"a": "zset[" + live + "=99999]",
		"t": "hash[" + live + "=2100]",
		"m": "zset[m=0]",
	})
}

// TestEnqueueRawState: Enqueue is idempotent on id in the plain form (no unique key, all
// runnable) and in the general form: a stored id, or one repeated in the batch, keeps its
// first record and is pushed once; a job dropped as a duplicate takes no unique key.
func TestEnqueueRawState(t *testing.T) {
	const tier = store.High
	const now = 5000
	job := func(id string, runAt int64, unique string) *store.Job {
		j := &store.Job{ID: id, Type: "noop", Tier: tier, Payload: []byte("{}"), MaxAttempts: 3,
			TimeoutMs: 10000, BackoffMs: 2000, RunAt: runAt, CreatedAt: 1000}
		if unique != "" {
			j.UniqueKey, j.UniqueTTLMs = unique, 60000
		}
		return j
	}
	const a, b = "2RAWJ0B00000000000000A", "2RAWJ0B00000000000000B"
	const failed = "f|1|1000|2000|2500|||3|10000|2000|1000||4||4||noopboom{}"
	for _, tc := range []struct {
		name string
		jobs []*store.Job
		want []store.EnqueueResult
		keys map[string]string
	}{
		{"PlainSingleStoredBefore", []*store.Job{job(rawOld, now, "")},
			[]store.EnqueueResult{{ID: rawOld, Duplicate: true}},
			map[string]string{
				"j": "hash[" + rawOld + "=" + failed + "]",
				"f": "zset[" + rawOld + "=2500]",
			}},
		{"PlainSingle", []*store.Job{job(a, now, "")},
			[]store.EnqueueResult{{ID: a}},
			map[string]string{
				"j": "hash[" + rawOld + "=" + failed + " " + a + "=w||5000|||||3|10000|2000|1000||4||||noop{}]",
				"f": "zset[" + rawOld + "=2500]",
				"w": "list[" + a + "]",
				"m": "zset[m=0]",
			}},
		{"PlainStoredBefore", []*store.Job{job(rawOld, now, ""), job(a, now, "")},
			[]store.EnqueueResult{{ID: rawOld, Duplicate: true}, {ID: a}},
			map[string]string{
				"j": "hash[" + rawOld + "=" + failed + " " + a + "=w||5000|||||3|10000|2000|1000||4||||noop{}]",
				"f": "zset[" + rawOld + "=2500]",
				"w": "list[" + a + "]",
				"m": "zset[m=0]",
			}},
		{"PlainRepeatedInBatch", []*store.Job{job(a, now, ""), job(b, now, ""), job(a, 4000, "")},
			[]store.EnqueueResult{{ID: a}, {ID: b}, {ID: a, Duplicate: true}},
			map[string]string{
				"j": "hash[" + rawOld + "=" + failed + " " + a + "=w||5000|||||3|10000|2000|1000||4||||noop{} " +
					b + "=w||5000|||||3|10000|2000|1000||4||||noop{}]",
				"f": "zset[" + rawOld + "=2500]",
				"w": "list[" + b + " " + a + "]",
				"m": "zset[m=0]",
			}},
		{"GeneralStoredBefore", []*store.Job{job(rawOld, now, "k"), job(a, 9000, "k")},
			[]store.EnqueueResult{{ID: rawOld, Duplicate: true}, {ID: a}},
			map[string]string{
				"j":   "hash[" + rawOld + "=" + failed + " " + a + "=d||9000|||||3|10000|2000|1000|60000|4|1|||noopk{}]",
				"f":   "zset[" + rawOld + "=2500]",
				"d":   "zset[0000000001" + a + "=9000]",
				"s":   "hash[q=2]",
				"u:k": "string[" + a + ":65000]",
				"m":   "zset[m=0]",
			}},
		{"GeneralRepeatedInBatch", []*store.Job{job(a, 9000, ""), job(a, now, "k")},
			[]store.EnqueueResult{{ID: a}, {ID: a, Duplicate: true}},
			map[string]string{
				"j": "hash[" + rawOld + "=" + failed + " " + a + "=d||9000|||||3|10000|2000|1000||4||||noop{}]",
				"f": "zset[" + rawOld + "=2500]",
				"d": "zset[0000000001" + a + "=9000]",
				"s": "hash[q=2]",
				"m": "zset[m=0]",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			k := newRawKit(t, s.Prefix(), tier)
			k.hset("j", rawOld, failed)
			k.zadd("f", "2500", rawOld)
			res, err := s.Enqueue(t.Context(), now, tc.jobs)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res, tc.want) {
				t.Fatalf("Enqueue = %+v, want %+v", res, tc.want)
			}
			k.wantState("after the enqueue", tc.keys)
		})
	}
}

// TestCancelRawState: a cancelled job's record and its LIST or ZSET entry go and its unique
// key is released when it holds it; a unique key held by another job stays; a record that no
// longer names the unique key the caller read makes the script refuse ("stale").
func TestCancelRawState(t *testing.T) {
	const tier = store.High
	const uniq = "w||1000|||||3|10000|2000|1000|60000|4|1|||noopk{}"
	t.Run("WaitingHolder", func(t *testing.T) {
		s := openTest(t)
		k := newRawKit(t, s.Prefix(), tier)
		k.hset("j", rawID, uniq, rawOld, rawActive)
		k.rpush("w", rawOld, rawID)
		k.set("u:k", rawID+":61000")
		if err := s.Cancel(t.Context(), rawID); err != nil {
			t.Fatal(err)
		}
		k.wantState("after the cancel", map[string]string{
			"j": "hash[" + rawOld + "=" + rawActive + "]",
			"w": "list[" + rawOld + "]",
		})
	})
	t.Run("DelayedNotHolder", func(t *testing.T) {
		s := openTest(t)
		k := newRawKit(t, s.Prefix(), tier)
		k.hset("j", rawID, "d||9000|||||3|10000|2000|1000|60000|4|1|||noopk{}")
		k.zadd("d", "9000", "0000000007"+rawOld, "9000", "0000000008"+rawID) // same RunAt
		k.set("u:k", rawOld+":61000")                                        // another job holds the key
		if err := s.Cancel(t.Context(), rawID); err != nil {
			t.Fatal(err)
		}
		k.wantState("after the cancel", map[string]string{
			"d":   "zset[0000000007" + rawOld + "=9000]",
			"u:k": "string[" + rawOld + ":61000]",
		})
	})
	t.Run("Stale", func(t *testing.T) {
		s := openTest(t)
		k := newRawKit(t, s.Prefix(), tier)
		k.hset("j", rawID, uniq)
		k.rpush("w", rawID)
		k.set("u:k", rawID+":61000")
		before := k.dump()
		tk := &s.tiers[tier.Index()]
		for _, c := range []call{
			{s: scriptCancel, keys: []string{tk.jobs, tk.active, tk.waiting, tk.delayed, tk.uniqueKey("other")}, args: []string{rawID, "other"}},
			{s: scriptCancel, keys: []string{tk.jobs, tk.active, tk.waiting, tk.delayed}, args: []string{rawID, ""}},
		} {
			m, err := s.run(t.Context(), c)
			if r, _ := m.ToString(); err != nil || r != "stale" {
				t.Fatalf("cancel script with unique key %q = %q, %v; want stale", c.args[1], r, err)
			}
			k.wantState("after a stale cancel", before)
		}
	})
	t.Run("NotCancellable", func(t *testing.T) {
		s := openTest(t)
		k := newRawKit(t, s.Prefix(), tier)
		seedActive(k, rawActive)
		k.hset("j", rawOld, "c||500|600|700||5000|3|10000|2000|500||4||||noop{}")
		k.zadd("c", "700", rawOld)
		before := k.dump()
		for _, id := range []string{rawID, rawOld} {
			if err := s.Cancel(t.Context(), id); !errors.Is(err, store.ErrNotCancellable) {
				t.Fatalf("Cancel(%s) = %v, want ErrNotCancellable", id, err)
			}
		}
		k.wantState("after refused cancels", before)
	})
}

// TestDeleteFailedRawState: only ids in the failed ZSET whose record is in state f go; a
// waiting record of an id still in the failed ZSET is left alone, as is its entry.
func TestDeleteFailedRawState(t *testing.T) {
	const tier = store.High
	s := openTest(t)
	k := newRawKit(t, s.Prefix(), tier)
	const failed = "f|1|1000|2000|2500|||3|10000|2000|1000||4||4||noopboom{}"
	k.hset("j", rawID, failed, rawOld, rawActive)
	k.zadd("f", "2500", rawID, "2400", rawOld)
	k.rpush("w", rawOld)
	got, err := s.DeleteFailed(t.Context(), tier, []string{rawOld, rawID, rawID, "2NOSUCHJ0B000000000000"})
	if err != nil || !slices.Equal(got, []string{rawID}) {
		t.Fatalf("DeleteFailed = %v, %v; want [%s]", got, err, rawID)
	}
	k.wantState("after DeleteFailed", map[string]string{
		"j": "hash[" + rawOld + "=" + rawActive + "]",
		"f": "zset[" + rawOld + "=2400]",
		"w": "list[" + rawOld + "]",
	})
}
