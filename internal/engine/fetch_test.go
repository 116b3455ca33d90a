package engine

import (
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

// An idle fetcher wakes at the start of the millisecond its next delayed job or rate-limited
// lane is due, whatever fraction of a millisecond now is into.
func TestIdleWait(t *testing.T) {
	t.Parallel()
	const idle = 5 * time.Second
	now := time.UnixMilli(1_000_000).Add(700 * time.Microsecond) // 1,000,000.7 ms
	for _, c := range []struct {
		name string
		res  store.FetchResult
		want time.Duration
	}{
		{"nothing due: the idle wait", store.FetchResult{}, idle},
		{"a lane frees in 9.3 ms", store.FetchResult{HeldUntil: 1_000_010}, 9300 * time.Microsecond},
		{"a delayed job is due in 4.3 ms", store.FetchResult{NextRunAt: 1_000_005}, 4300 * time.Microsecond},
		{"the earlier of both", store.FetchResult{NextRunAt: 1_000_050, HeldUntil: 1_000_002}, 1300 * time.Microsecond},
		{"due after the idle wait", store.FetchResult{HeldUntil: 1_000_000 + 60_000}, idle},
		{"already due", store.FetchResult{HeldUntil: 1_000_000}, -700 * time.Microsecond},
	} {
		if got := idleWait(c.res, now, idle); got != c.want {
			t.Errorf("%s: idleWait = %v, want %v", c.name, got, c.want)
		}
	}
}
