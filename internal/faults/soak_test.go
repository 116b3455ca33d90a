package faults_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/slaqhq/slaq/internal/faults"
	"github.com/slaqhq/slaq/internal/testenv"
)

// soakJobs is the bounded soak's size in the test suite; SLAQ_SOAK_JOBS overrides it (the
// full 200,000 is `slaq bench soak`).
const soakJobs = 20_000

// TestSoak runs the soak workload on Redis: mixed jobs over the five tiers, 5 % of attempts
// failing and 1 % panicking, retried at once and dead-lettered when exhausted. The counts
// reconcile exactly (enqueued = completed + dead-lettered, one dead-letter row per exhausted
// job, no job completed twice, the store's completed total equals the handlers'), the store
// is empty afterwards, its Redis keys are back to the baseline (none but each tier's stats
// hash of running totals) and the live heap is within
// 64 MiB of where it started.
func TestSoak(t *testing.T) {
	n := soakJobs
	if s := os.Getenv("SLAQ_SOAK_JOBS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("SLAQ_SOAK_JOBS=%q: %v", s, err)
		}
	}
	st := testenv.RedisStore(t)
	rc := testRedis(t)
	dead := testenv.SQLiteDLQ(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := faults.Soak(ctx, st, dead, faults.SoakParams{Jobs: n,
		Keys:     func(ctx context.Context) (int64, error) { return countKeys(ctx, rc, st.Prefix()) },
		Progress: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	summary.Add(faults.Row{Scenario: fmt.Sprintf("soak %d (5%% fail, 1%% panic)", n), Jobs: n,
		Lost: n - res.Completed - res.Exhausted, Duplicated: res.Duplicated,
		Note: fmt.Sprintf("%d completed + %d dead-lettered in %s; keys %d → %d; heap %.1f → %.1f MiB", res.Completed, res.Exhausted,
			res.Duration.Round(time.Millisecond), res.KeysBefore, res.KeysAfter, float64(res.HeapBefore)/(1<<20), float64(res.HeapAfter)/(1<<20))})
	if !res.Reconciled() {
		t.Errorf("counts do not reconcile: %s", res)
	}
	if res.KeysAfter > res.KeysBefore {
		t.Errorf("Redis keys: %d before, %d after", res.KeysBefore, res.KeysAfter)
	}
	if res.HeapAfter > res.HeapBefore+64<<20 {
		t.Errorf("live heap grew from %.1f to %.1f MiB", float64(res.HeapBefore)/(1<<20), float64(res.HeapAfter)/(1<<20))
	}
}
