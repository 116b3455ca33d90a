package faults_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/faults"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store"
)

// killJobs is how many jobs TestWorkerSIGKILL runs, and killRounds how many times it kills
// a worker process.
const killJobs, killRounds = 20_000, 3

// TestWorkerSIGKILL runs 20,000 jobs over the five tiers on Redis in two worker processes,
// SIGKILLs one of them three times along the way and starts a fresh one each time. Every job
// runs at least once; a job runs twice only if it was active in a killed process at its
// kill; every CRITICAL job in flight in a killed process runs again within about its lease;
// the store's completed count equals the jobs the handlers recorded.
func TestWorkerSIGKILL(t *testing.T) {
	t.Parallel()
	st := testenv.RedisStore(t)
	prefix := st.Prefix()
	rc := testRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := slaq.New(st, slaq.Config{Retention: slaq.None})
	if err != nil {
		t.Fatal(err)
	}
	tiers := []slaq.Tier{slaq.Critical, slaq.High, slaq.Medium, slaq.Low, slaq.Batch}
	// The lower tiers' 16,000 jobs wait from the start; CRITICAL's 4,000 arrive at 500 a
	// second during the run, as urgent work does, so a rescued CRITICAL job finds no backlog
	// (a rescued job goes to the back of its tier's queue).
	var idsMu sync.Mutex
	var ids []string
	for chunk := 0; chunk < killJobs*4/5; chunk += 1000 {
		reqs := make([]slaq.Request, 1000)
		for i := range reqs {
			reqs[i] = slaq.Request{Type: "work", Payload: map[string]int{"i": chunk + i},
				Options: []slaq.Option{slaq.WithTier(tiers[1+(chunk+i)%4])}}
		}
		got, err := c.EnqueueBulk(ctx, reqs)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	feedDone := make(chan error, 1)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for n := 0; n < killJobs/5; n += 25 {
			<-tick.C
			reqs := make([]slaq.Request, 25)
			for i := range reqs {
				reqs[i] = slaq.Request{Type: "work", Payload: map[string]int{"c": n + i}, Options: []slaq.Option{slaq.WithTier(slaq.Critical)}}
			}
			got, err := c.EnqueueBulk(ctx, reqs)
			if err != nil {
				feedDone <- err
				return
			}
			idsMu.Lock()
			ids = append(ids, got...)
			idsMu.Unlock()
		}
		feedDone <- nil
	}()
	ran := func() int64 {
		n, err := rc.Do(ctx, rc.B().Hlen().Key(runsKey(prefix)).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	workers := []*child{startChild(t, "worker", prefix), startChild(t, "worker", prefix)}
	inFlight := make(map[string]bool) // active in the store, started by the killed process
	type kill struct {
		at       time.Time
		critical []string // CRITICAL jobs the victim was running
	}
	var killed []kill
	criticalKilled := 0
	for k := 1; k <= killRounds; k++ {
		testenv.PollUntil(t, 2*time.Minute, fmt.Sprintf("%d jobs run before kill %d", k*killJobs/(killRounds+2), k),
			func() bool { return ran() >= int64(k*killJobs/(killRounds+2)) })
		victim := workers[k%2]
		killedAt := victim.kill(t)
		started := make(map[string]bool)
		for _, id := range victim.output("start ") {
			started[id] = true
		}
		var critical []string
		for _, tier := range tiers {
			for _, j := range listAll(t, c, tier, store.StateActive) {
				if started[j.ID] {
					inFlight[j.ID] = true
					if tier == slaq.Critical {
						critical = append(critical, j.ID)
					}
				}
			}
		}
		workers[k%2] = startChild(t, "worker", prefix)
		killed = append(killed, kill{at: killedAt, critical: critical})
		criticalKilled += len(critical)
		t.Logf("kill %d: %d jobs had run, %d of the victim's jobs active, %d of them CRITICAL",
			k, ran(), len(inFlight), len(critical))
	}
	if err := <-feedDone; err != nil {
		t.Fatal(err)
	}
	testenv.PollUntil(t, 2*time.Minute, "every job to run", func() bool { return ran() >= killJobs })
	// Each CRITICAL job a victim was running ran again after the kill: its last run is later.
	var worstRecovery time.Duration
	for _, k := range killed {
		for _, id := range k.critical {
			at, err := rc.Do(ctx, rc.B().Hget().Key(atKey(prefix)).Field(id).Build()).ToString()
			ms, _ := strconv.ParseInt(at, 10, 64)
			d := time.UnixMilli(ms).Sub(k.at)
			if err != nil || d <= 0 {
				t.Errorf("CRITICAL job %s in flight at a kill did not run again (%v)", id, err)
				continue
			}
			worstRecovery = max(worstRecovery, d)
		}
	}
	testenv.PollUntil(t, time.Minute, "the store to drain", func() bool {
		m, err := c.Metrics(ctx)
		if err != nil {
			return false
		}
		var left int64
		for _, tm := range m {
			left += tm.Waiting + tm.Active + tm.Delayed + tm.Failed
		}
		return left == 0
	})
	runs, err := rc.Do(ctx, rc.B().Hgetall().Key(runsKey(prefix)).Build()).AsStrMap()
	if err != nil {
		t.Fatal(err)
	}
	idsMu.Lock()
	defer idsMu.Unlock()
	lost, dup := 0, 0
	var badDup []string
	for _, id := range ids {
		n, _ := strconv.Atoi(runs[id])
		switch {
		case n == 0:
			lost++
		case n > 1:
			dup++
			if !inFlight[id] {
				badDup = append(badDup, id)
			}
		}
	}
	m, err := c.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var completed int64
	for _, tm := range m {
		completed += tm.Completed
	}
	summary.Add(faults.Row{Scenario: "worker SIGKILL ×3 (redis)", Jobs: killJobs, Lost: lost, Duplicated: dup,
		Recovery: worstRecovery, Note: fmt.Sprintf("killed CRITICAL job rerun after the kill, worst of %d (lease %s)", criticalKilled, workerLease)})
	if lost > 0 {
		t.Errorf("%d jobs never ran", lost)
	}
	if len(badDup) > 0 {
		t.Errorf("%d jobs ran twice without being in flight at a kill: %s", len(badDup), fmtIDs(badDup))
	}
	if completed != killJobs {
		t.Errorf("the store counts %d completed jobs; the handlers recorded %d distinct jobs", completed, killJobs)
	}
	if criticalKilled == 0 {
		t.Error("no CRITICAL job was in flight at any kill: the test did not test recovery")
	}
	if limit := workerLease + workerLease/2 + 2*time.Second; worstRecovery > limit {
		t.Errorf("a killed CRITICAL job ran again %s after the kill; want about its lease (%s), at most %s", worstRecovery, workerLease, limit)
	}
	t.Logf("%d jobs, %d duplicated (all in flight at a kill: %d), worst CRITICAL recovery %s", killJobs, dup, len(inFlight), worstRecovery)
}

// listAll lists every job of tier in state.
func listAll(t *testing.T, c *slaq.Client, tier slaq.Tier, state store.State) []*store.Job {
	t.Helper()
	var all []*store.Job
	req := slaq.ListRequest{Tier: tier, State: state, Limit: 1000}
	for {
		p, err := c.List(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Jobs...)
		if p.Next == "" {
			return all
		}
		req.Cursor = p.Next
	}
}
