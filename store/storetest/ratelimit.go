package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// limited returns n jobs of tier of type typ, runnable at Base.
func typed(n int, tier store.Tier, typ string) []*store.Job {
	jobs := newJobs(n, tier, Base)
	for _, j := range jobs {
		j.Type = typ
	}
	return jobs
}

func setLimit(t *testing.T, s store.Store, l store.RateLimit) {
	t.Helper()
	if err := s.SetRateLimit(t.Context(), l); err != nil {
		t.Fatalf("SetRateLimit(%+v): %v", l, err)
	}
}

// starts fetches from each store in turn at every step ms from `from` to `to`, and returns
// the claim times of each claimed job, by id, and the claimed ids in order.
func startsOver(t *testing.T, stores []store.Store, tier store.Tier, from, to, step int64) (map[string]int64, []string) {
	t.Helper()
	at := map[string]int64{}
	var order []string
	i := 0
	for now := from; now <= to; now += step {
		s := stores[i%len(stores)]
		i++
		for _, j := range fetch(t, s, tier, 10, now).Jobs {
			if _, dup := at[j.ID]; dup {
				t.Fatalf("job %s claimed twice", j.ID)
			}
			at[j.ID] = now
			order = append(order, j.ID)
		}
	}
	return at, order
}

// wantWindowBound fails when some window of periodMs holds more than most of times.
func wantWindowBound(t *testing.T, times []int64, periodMs int64, most int) {
	t.Helper()
	slices.Sort(times)
	for i := range times {
		j := i
		for j < len(times) && times[j] < times[i]+periodMs {
			j++
		}
		if j-i > most {
			t.Fatalf("%d starts in the window [%d, %d), want at most %d (rate + burst)", j-i, times[i]-Base, times[i]-Base+periodMs, most)
		}
	}
}

// runRateLimit checks the per-type limits decided in Fetch.
func runRateLimit(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("HeadOfLineAndHeldUntil", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const tier = store.High
		setLimit(t, s, store.RateLimit{Tier: tier, Type: "webhook", Rate: 3, PeriodMs: 1000, Burst: 1})
		lim := typed(10, tier, "webhook")
		free := typed(5, tier, "other")
		enqueue(t, s, Base, lim...)
		enqueue(t, s, Base, free...)
		r := fetch(t, s, tier, 10, Base)
		// After an idle time a limit allows Burst + 1 starts at once; the held head does not
		// keep the other type from its workers.
		wantIDs(t, "first fetch", r.Jobs, append(slices.Clone(lim[:2]), free...)...)
		if !slices.Equal(r.Deferred, []string{"webhook"}) {
			t.Fatalf("Deferred = %v, want [webhook]", r.Deferred)
		}
		// interval 333.3 ms, tolerance 333.3 ms: the third start is free at Base + 334.
		if r.HeldUntil != Base+334 {
			t.Fatalf("HeldUntil = %d, want Base+334", r.HeldUntil-Base)
		}
		wantCounts(t, s, tier, store.Counts{Waiting: 8, Active: 7})
		if n := len(fetch(t, s, tier, 10, Base+333).Jobs); n != 0 {
			t.Fatalf("fetch before the next free slot claimed %d, want 0", n)
		}
		wantIDs(t, "at the next free slot", fetch(t, s, tier, 10, Base+334).Jobs, lim[2])
		states, err := s.RateLimits(t.Context(), tier, Base+334)
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != 1 || states[0].Type != "webhook" || states[0].Rate != 3 || states[0].NextFreeAt != Base+667 {
			t.Fatalf("RateLimits = %+v, want webhook 3/1000 next free at Base+667", states)
		}
		// A held job can be cancelled, and the counts follow.
		if err := s.Cancel(t.Context(), lim[9].ID); err != nil {
			t.Fatalf("Cancel of a held job: %v", err)
		}
		wantCounts(t, s, tier, store.Counts{Waiting: 6, Active: 8})
		// Removing the limit releases the held jobs at once, in their order.
		setLimit(t, s, store.RateLimit{Tier: tier, Type: "webhook"})
		wantIDs(t, "after removing the limit", fetch(t, s, tier, 10, Base+335).Jobs, lim[3:9]...)
		if states, _ := s.RateLimits(t.Context(), tier, Base); len(states) != 0 {
			t.Fatalf("RateLimits after removal = %+v, want none", states)
		}
	})

	t.Run("WindowBound", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			rate, burst int
			period      int64
		}{{5, 0, 1000}, {5, 2, 1000}, {7, 3, 600}} {
			s := open(t)
			const tier = store.Low
			setLimit(t, s, store.RateLimit{Tier: tier, Type: "mail", Rate: c.rate, PeriodMs: c.period, Burst: c.burst})
			jobs := typed(60, tier, "mail")
			enqueue(t, s, Base, jobs...)
			at, order := startsOver(t, []store.Store{s}, tier, Base, Base+5*c.period, 7)
			times := make([]int64, 0, len(at))
			for _, v := range at {
				times = append(times, v)
			}
			wantWindowBound(t, times, c.period, c.rate+c.burst)
			// Over 5 periods: the burst + 1 at once, then one per interval.
			if want := c.burst + 1 + 5*c.rate; len(times) < want-1 || len(times) > want {
				t.Fatalf("rate %d/%d burst %d: %d starts over 5 periods, want %d", c.rate, c.period, c.burst, len(times), want)
			}
			if !slices.Equal(order, ids(jobs[:len(order)])) {
				t.Fatalf("held jobs started out of order")
			}
		}
	})

	t.Run("HeldJobsAreListedWaiting", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const tier = store.High
		setLimit(t, s, store.RateLimit{Tier: tier, Type: "webhook", Rate: 1, PeriodMs: 60_000})
		lim, free := typed(6, tier, "webhook"), typed(4, tier, "other")
		enqueue(t, s, Base, lim...)
		enqueue(t, s, Base, free...)
		// One start of webhook is free; the next ones are held back while "other" runs.
		claimed := fetch(t, s, tier, 2, Base).Jobs
		claimed = append(claimed, fetch(t, s, tier, 1, Base).Jobs...)
		wantIDs(t, "claimed", claimed, lim[0], free[0], free[1])
		want := map[string]bool{}
		for _, j := range append(slices.Clone(lim[1:]), free[2:]...) {
			want[j.ID] = true
		}
		wantCounts(t, s, tier, store.Counts{Waiting: int64(len(want)), Active: 3})
		for _, limit := range []int{1, 2, 3, 100} {
			got := listAll(t, s, tier, store.StateWaiting, limit, len(want))
			seen := map[string]bool{}
			for _, j := range got {
				if !want[j.ID] || seen[j.ID] {
					t.Fatalf("limit %d: listed %s (%s), want each waiting job once: %v", limit, j.ID, j.Type, ids(got))
				}
				if j.State != store.StateWaiting {
					t.Fatalf("limit %d: listed %s in state %s", limit, j.ID, j.State)
				}
				seen[j.ID] = true
			}
		}
	})

	// A limited type's name inside another job's type or payload does not make that job
	// limited, and a long record of the limited type is held like a short one, however many
	// types are limited (the Redis fetch searches short records for the limited names before
	// it parses their header, and parses every header past a few limited types).
	t.Run("TypeNamesElsewhere", func(t *testing.T) {
		t.Parallel()
		long := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), 3000)...), `"}`...)
		for _, limited := range []int{1, 6} {
			s := open(t)
			const tier = store.Medium
			setLimit(t, s, store.RateLimit{Tier: tier, Type: "mail", Rate: 1, PeriodMs: 60_000})
			for k := 1; k < limited; k++ {
				setLimit(t, s, store.RateLimit{Tier: tier, Type: fmt.Sprintf("mail%d", k), Rate: 1, PeriodMs: 60_000})
			}
			mail := typed(4, tier, "mail")
			mail[1].Payload, mail[3].Payload = long, long
			others := append(typed(1, tier, "send_mail_digest"), typed(2, tier, "other")...)
			others[1].Payload = []byte(`{"kind":"mail"}`)
			others[2].Payload = append([]byte(`{"kind":"mail",`), long[1:]...)
			enqueue(t, s, Base, mail[0], others[0], mail[1], others[1], mail[2], others[2], mail[3])
			r := fetch(t, s, tier, 10, Base)
			wantIDs(t, fmt.Sprintf("%d limited types: claimed", limited), r.Jobs, mail[0], others[0], others[1], others[2])
			if !slices.Equal(r.Deferred, []string{"mail"}) {
				t.Fatalf("%d limited types: Deferred = %v, want [mail]", limited, r.Deferred)
			}
			wantCounts(t, s, tier, store.Counts{Waiting: 3, Active: 4})
		}
	})

	// A backlog of a held type larger than one fetch moves to its lane does not leave the
	// jobs behind it waiting for the limit: the fetch that stops moving wakes the tier.
	t.Run("BacklogBeyondOneFetch", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const tier = store.Low
		setLimit(t, s, store.RateLimit{Tier: tier, Type: "mail", Rate: 1, PeriodMs: 60_000})
		mail := typed(2500, tier, "mail")
		other := typed(1, tier, "other")[0]
		enqueue(t, s, Base, mail...)
		enqueue(t, s, Base, other)
		var claimed []*store.Job
		for f := 0; f < 5 && !slices.ContainsFunc(claimed, func(j *store.Job) bool { return j.ID == other.ID }); f++ {
			if f > 0 { // asks for an hour: only a wake makes it return within the test
				done := make(chan error, 1)
				go func() { done <- s.Wait(t.Context(), tier, time.Hour) }()
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("Wait after fetch %d: %v", f, err)
					}
				case <-time.After(30 * time.Second):
					t.Fatalf("fetch %d left runnable jobs behind the lane and woke no fetcher", f)
				}
			}
			claimed = append(claimed, fetch(t, s, tier, 10, Base).Jobs...)
		}
		wantIDs(t, "claimed", claimed, mail[0], other)
		wantCounts(t, s, tier, store.Counts{Waiting: int64(len(mail)) - 1, Active: 2})
	})

	// A lane left unserved only because the fetch had no room is not held back by its limit:
	// the fetch reports no deferral for it.
	t.Run("NoDeferralWithoutRoom", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const tier = store.Low
		setLimit(t, s, store.RateLimit{Tier: tier, Type: "mail", Rate: 1, PeriodMs: 1000})
		mail := typed(3, tier, "mail")
		enqueue(t, s, Base, mail...)
		r := fetch(t, s, tier, 10, Base)
		wantIDs(t, "first fetch", r.Jobs, mail[0])
		if !slices.Equal(r.Deferred, []string{"mail"}) {
			t.Fatalf("first fetch: Deferred = %v, want [mail]", r.Deferred)
		}
		r = fetch(t, s, tier, 1, Base+5000) // the limit has a start free; the fetch room for one
		wantIDs(t, "second fetch", r.Jobs, mail[1])
		if len(r.Deferred) != 0 {
			t.Fatalf("a fetch that filled its limit reports Deferred = %v, want none", r.Deferred)
		}
	})

	t.Run("BadLimits", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for _, l := range []store.RateLimit{
			{Tier: store.High, Type: "", Rate: 1, PeriodMs: 1},
			{Tier: store.High, Type: "x", Rate: -1, PeriodMs: 1},
			{Tier: store.High, Type: "x", Rate: 1, PeriodMs: 0},
			{Tier: store.High, Type: "x", Rate: 1, PeriodMs: 10, Burst: -1},
			{Tier: 9, Type: "x", Rate: 1, PeriodMs: 10},
		} {
			if err := s.SetRateLimit(t.Context(), l); err == nil {
				t.Fatalf("SetRateLimit(%+v) = nil, want an error", l)
			}
		}
	})
}

// runRateLimitShared checks that two handles share one limit.
func runRateLimitShared(t *testing.T, a, b store.Store) {
	const tier = store.Medium
	setLimit(t, a, store.RateLimit{Tier: tier, Type: "api", Rate: 4, PeriodMs: 1000, Burst: 1})
	enqueue(t, a, Base, typed(40, tier, "api")...)
	at, _ := startsOver(t, []store.Store{a, b}, tier, Base, Base+3000, 11)
	times := make([]int64, 0, len(at))
	for _, v := range at {
		times = append(times, v)
	}
	wantWindowBound(t, times, 1000, 5)
	if len(times) < 13 {
		t.Fatalf("%d starts over 3 s at 4/s + 1 across two handles, want at least 13", len(times))
	}
}
