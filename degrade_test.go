package slaq_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store/redisstore"
)

// ownRedis is a redis-server the test starts on a loopback port of its own, with every write
// fsynced to an append-only file, so that it can be stopped and started again with its data.
type ownRedis struct {
	t    *testing.T
	dir  string
	port int
	cmd  *exec.Cmd
}

func startOwnRedis(t *testing.T) *ownRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &ownRedis{t: t, dir: t.TempDir(), port: port}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *ownRedis) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *ownRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "")
	if err := r.cmd.Start(); err != nil {
		if os.Getenv("CI") == "true" {
			r.t.Fatalf("redis-server is required under CI=true: %v", err)
		}
		r.t.Skipf("SKIPPING: cannot start redis-server: %v", err)
	}
	waitFor(r.t, 10*time.Second, "redis-server to listen", func() bool {
		c, err := net.Dial("tcp", r.addr())
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (r *ownRedis) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL) // appendfsync always: every acknowledged write is on disk
	_ = r.cmd.Wait()
	r.cmd = nil
}

// Redis stops for 10 s under load and starts again: with DegradeSpool every acknowledged
// enqueue runs exactly once, the spooled ones are forwarded in the order they were enqueued,
// and the client reports itself degraded while Redis is away.
func TestRedisOutageSpool(t *testing.T) {
	t.Parallel()
	red := startOwnRedis(t)
	ctx := context.Background()
	st, err := redisstore.New(ctx, redisstore.Options{Addrs: []string{red.addr()}, Prefix: "outage"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	spool, err := outbox.OpenSpool(ctx, filepath.Join(t.TempDir(), "spool.db"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = spool.Close() })
	log := newRunLog()
	var mu sync.Mutex
	lastForwarded := map[int]int{} // producer → last sequence number forwarded from the spool
	var order []string
	obs := slaq.ObserverFunc(func(e slaq.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Kind {
		case slaq.EventForwarded: // only the spool forwards here (no outbox)
			var p struct{ P, I int }
			_ = json.Unmarshal(e.Job.Payload, &p)
			if last, ok := lastForwarded[p.P]; ok && p.I <= last {
				order = append(order, fmt.Sprintf("producer %d: %d forwarded after %d", p.P, p.I, last))
			}
			lastForwarded[p.P] = p.I
		}
	})
	// A fetch whose claim Redis wrote just before it was killed leaves its jobs active with
	// no worker (the reply never came): they run again once their lease lapses and the
	// rescuer returns them. A short lease keeps that within seconds of the restart, not the
	// default MEDIUM lease (30 s) plus its rescue interval (15 s).
	c := newClient(t, st, slaq.Config{Handler: log.handler(), Spool: spool, Degrade: slaq.DegradeSpool,
		Observers: []slaq.Observer{obs}, StoreRetryMin: 20 * time.Millisecond, StoreRetryMax: 200 * time.Millisecond,
		Tiers: map[slaq.Tier]slaq.TierConfig{slaq.Medium: {Lease: 2 * time.Second}}})

	var acked []string
	var ackMu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failures []error
	for p := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				id, err := c.Enqueue(cctx, "work", map[string]int{"p": p, "i": i})
				cancel()
				ackMu.Lock()
				if err == nil {
					acked = append(acked, id)
				} else {
					failures = append(failures, err)
				}
				ackMu.Unlock()
				time.Sleep(2 * time.Millisecond) // pacing the load, not waiting for a result
			}
		})
	}
	waitFor(t, 10*time.Second, "jobs to run before the outage", func() bool { return len(log.ch) > 50 })
	red.stop()
	waitFor(t, 10*time.Second, "the client to report degraded", c.Degraded)
	outage := time.Now()
	waitFor(t, 15*time.Second, "jobs spooled during the outage", func() bool { return c.DurableStats().Spooled > 100 })
	<-time.After(time.Until(outage.Add(10 * time.Second))) // the outage lasts 10 s, by design
	red.start()
	waitFor(t, 40*time.Second, "the spool to drain", func() bool { return !c.Degraded() })
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d enqueues failed, first: %v", len(failures), failures[0])
	}
	log.waitRan(t, acked, 30*time.Second)
	// A job runs once the store holds it, which can be before the forwarder has counted it:
	// the counters settle a moment after the last job ran.
	var s slaq.DurableStats
	waitFor(t, 10*time.Second, "every spooled job counted as forwarded", func() bool {
		s = c.DurableStats()
		return s.Spooled > 0 && s.Forwarded == s.Spooled && s.SpoolPending == 0
	})
	mu.Lock()
	defer mu.Unlock()
	if len(order) > 0 {
		t.Fatalf("spooled jobs forwarded out of order: %v", order[:min(5, len(order))])
	}
	t.Logf("%d jobs acknowledged, %d spooled during the outage, all ran once", len(acked), s.Spooled)
}

// DegradeDirect runs the handler in-process when the store does not answer (the guide's
// fallback) and reports it; DegradeFail (the default) returns an error wrapping
// ErrOutcomeUnknown; a per-type policy overrides the client's; a full spool fails clearly.
func TestDegradePolicies(t *testing.T) {
	t.Parallel()
	red := startOwnRedis(t)
	ctx := context.Background()
	st, err := redisstore.New(ctx, redisstore.Options{Addrs: []string{red.addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	spool, err := outbox.OpenSpool(ctx, filepath.Join(t.TempDir(), "spool.db"), outbox.Options{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = spool.Close() })
	ran := make(chan string, 10)
	h := slaq.HandlerFunc(func(_ context.Context, j *slaq.Job) error { ran <- j.ID; return nil })
	events := make(chan slaq.Event, 100)
	c, err := slaq.New(st, slaq.Config{Handler: h, Spool: spool, Degrade: slaq.DegradeDirect,
		Types:     map[string]slaq.TypeConfig{"strict": {Degrade: slaq.DegradeFail}, "later": {Degrade: slaq.DegradeSpool}},
		Observers: []slaq.Observer{slaq.ObserverFunc(func(e slaq.Event) { events <- e })}})
	if err != nil {
		t.Fatal(err)
	}
	red.stop()
	id, err := c.Enqueue(ctx, "reset", nil)
	if err != nil {
		t.Fatalf("DegradeDirect: %v", err)
	}
	if got := <-ran; got != id {
		t.Fatalf("ran %s, want %s", got, id)
	}
	for e := range events {
		if e.Kind == slaq.EventRanDirect {
			if e.Job.ID != id {
				t.Fatalf("ran_direct event for %s, want %s", e.Job.ID, id)
			}
			break
		}
	}
	if _, err := c.Enqueue(ctx, "strict", nil); !errors.Is(err, slaq.ErrOutcomeUnknown) {
		t.Fatalf("DegradeFail: err = %v, want ErrOutcomeUnknown", err)
	}
	for range 2 {
		if _, err := c.Enqueue(ctx, "later", nil); err != nil {
			t.Fatalf("DegradeSpool: %v", err)
		}
	}
	if _, err := c.Enqueue(ctx, "later", nil); !errors.Is(err, slaq.ErrSpoolFull) {
		t.Fatalf("spool past its limit: err = %v, want ErrSpoolFull", err)
	}
	if !c.Degraded() || c.DurableStats().RanDirect != 1 {
		t.Fatalf("stats %+v: want degraded with one direct run", c.DurableStats())
	}
}
