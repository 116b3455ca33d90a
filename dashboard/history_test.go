package dashboard

import (
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
)

// TestHistory checks bucketing, percentiles within a bin of the truth, and that steps older
// than the window drop out.
func TestHistory(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := NewHistory(HistoryOptions{Window: time.Minute, Step: 10 * time.Second, Now: clock})
	job := &slaq.Job{Tier: slaq.High}
	for i := 1; i <= 100; i++ {
		h.Observe(slaq.Event{Kind: slaq.EventStarted, At: now, Job: job, Pickup: time.Duration(i) * time.Millisecond})
		h.Observe(slaq.Event{Kind: slaq.EventCompleted, At: now, Job: job})
	}
	h.Observe(slaq.Event{Kind: slaq.EventFailed, At: now, Job: job})
	pts := h.Series(slaq.High)
	if len(pts) != 6 {
		t.Fatalf("%d points, want 6", len(pts))
	}
	last := pts[len(pts)-1]
	if last.Pickups != 100 || last.Completed != 100 || last.Failed != 1 || last.Max != 100 {
		t.Fatalf("last point %+v", last)
	}
	if last.P50 < 50 || last.P50 > 50*binGrowth || last.P99 < 99 || last.P99 > 100 {
		t.Errorf("p50 %.1f, p99 %.1f: want within one bin above 50 and 99", last.P50, last.P99)
	}
	if other := h.Series(slaq.Critical); other[len(other)-1].Pickups != 0 {
		t.Error("another tier's series holds HIGH's pickups")
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	for _, p := range h.Series(slaq.High) {
		if p.Pickups != 0 {
			t.Fatalf("a step older than the window is still shown: %+v", p)
		}
	}
}
