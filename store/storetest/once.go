package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// runOnce checks Once on one handle: the first claim of a key wins, later claims within the
// ttl lose, keys are independent, and bad arguments are errors.
func runOnce(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("OneWinnerPerKey", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		steps := []struct {
			key  string
			now  int64
			want bool
		}{
			{"purge:1", Base, true},
			{"purge:1", Base, false},
			{"purge:1", Base + 1, false},
			{"purge:2", Base + 1, true},
			{"alert:x", Base + 2, true},
			{"purge:2", Base + 2, false},
		}
		for i, st := range steps {
			won, err := s.Once(t.Context(), st.key, st.now, time.Hour.Milliseconds())
			if err != nil {
				t.Fatalf("step %d: Once(%q): %v", i, st.key, err)
			}
			if won != st.want {
				t.Fatalf("step %d: Once(%q) at %d = %v, want %v", i, st.key, st.now, won, st.want)
			}
		}
	})

	t.Run("BadArguments", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for _, c := range []struct {
			key string
			ttl int64
		}{{"", 1000}, {"k", 0}, {"k", -5}} {
			if won, err := s.Once(t.Context(), c.key, Base, c.ttl); err == nil || won {
				t.Fatalf("Once(%q, ttl %d) = %v, %v; want an error", c.key, c.ttl, won, err)
			}
		}
	})
}

// onceExpiry is the ttl of the shared Once checks: short, since the Redis store measures it
// on the server's clock, so the check waits for it in real time.
const onceExpiry = 150 * time.Millisecond

// runOnceShared checks Once across two handles: of many concurrent callers exactly one wins,
// none wins again before the ttl passes, and a caller wins once it has.
func runOnceShared(t *testing.T, a, b store.Store) {
	key := "once:shared"
	ttl := onceExpiry.Milliseconds()
	claim := func(s store.Store) (bool, int64) {
		now := time.Now().UnixMilli()
		won, err := s.Once(t.Context(), key, now, ttl)
		if err != nil {
			t.Errorf("Once: %v", err)
		}
		return won, now
	}
	var (
		wins    atomic.Int32
		firstAt atomic.Int64
		wg      sync.WaitGroup
	)
	start := time.Now().UnixMilli()
	for i := range 16 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			if won, now := claim(s); won {
				wins.Add(1)
				firstAt.Store(now)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d of 16 concurrent callers on two handles won Once, want exactly 1", n)
	}
	first := firstAt.Load()
	deadline := time.After(10 * time.Second)
	retry := time.NewTicker(5 * time.Millisecond)
	defer retry.Stop()
	for {
		won, now := claim([]store.Store{a, b}[time.Now().UnixNano()%2])
		if t.Failed() {
			t.FailNow()
		}
		if won {
			if now < first+ttl || now < start {
				t.Fatalf("a second claim won at %d, %d ms after the first, before the ttl of %d ms passed", now, now-first, ttl)
			}
			break
		}
		select {
		case <-deadline:
			t.Fatalf("no claim won within 10 s after a ttl of %d ms", ttl)
		case <-retry.C:
		}
	}
	if won, _ := claim(a); won {
		t.Fatalf("a claim right after the second winner also won")
	}
}
