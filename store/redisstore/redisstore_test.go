package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq/store"
)

func newTestJob(t store.Tier, now int64) *store.Job {
	return &store.Job{ID: store.NewID(t, now), Type: "noop", Tier: t, Payload: []byte(`{"q":"t"}`),
		MaxAttempts: 1, RunAt: now, CreatedAt: now}
}

func TestScriptsLoaded(t *testing.T) {
	s := openTest(t)
	b := s.client.B()
	shas := make([]string, len(allScripts))
	for i, sc := range allScripts {
		shas[i] = sc.sha
	}
	got, err := s.client.Do(t.Context(), b.ScriptExists().Sha1(shas...).Build()).AsIntSlice()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != 1 {
			t.Errorf("script %s (%s) not loaded", allScripts[i].name, allScripts[i].sha)
		}
	}
}

// TestScriptHeaders: every script's own file (not lib.lua in front of it) opens with a
// comment block that gives its KEYS, ARGV, reply and time complexity.
func TestScriptHeaders(t *testing.T) {
	for _, sc := range allScripts {
		header := leadingComment(sc.own)
		if header == "" {
			t.Errorf("script %s: no leading comment block", sc.name)
			continue
		}
		for _, want := range []string{"-- KEYS[1] ", "-- ARGV[", "Returns", "-- Time: O("} {
			if !strings.Contains(header, want) {
				t.Errorf("script %s: header lacks %q", sc.name, want)
			}
		}
	}
	// The check itself: a script without a header, or with a header lacking a line, fails.
	if h := leadingComment("local n = 1\n-- KEYS[1] x\n-- ARGV[1] y\n-- Returns z\n-- Time: O(1)\n"); h != "" {
		t.Errorf("leadingComment found a header below code: %q", h)
	}
	if h := leadingComment("-- a.lua: a\n--\n-- KEYS[1]  k\n\nlocal n = 1\n"); !strings.Contains(h, "KEYS[1]") || strings.Contains(h, "local") {
		t.Errorf("leadingComment = %q, want the two comment lines only", h)
	}
}

// leadingComment returns the block of "--" lines that opens src, up to its first other line.
func leadingComment(src string) string {
	var b strings.Builder
	for line := range strings.Lines(src) {
		if !strings.HasPrefix(line, "--") {
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

// startWait runs s.Wait in a goroutine and returns its result channel.
func startWait(ctx context.Context, s *Store, tier store.Tier, d time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Wait(ctx, tier, d) }()
	return done
}

// waitBlocked polls CLIENT LIST until n connections named name block in BZPOPMIN, and
// returns their ids.
func waitBlocked(t *testing.T, s *Store, name string, n int) []string {
	t.Helper()
	var ids []string
	pollUntil(t, 5*time.Second, "blocked in BZPOPMIN", func() bool {
		list, err := s.client.Do(t.Context(), s.client.B().ClientList().Build()).ToString()
		if err != nil {
			t.Fatal(err)
		}
		ids = ids[:0]
		for line := range strings.SplitSeq(list, "\n") {
			if strings.Contains(line, " name="+name+" ") && strings.Contains(line, " cmd=bzpopmin ") {
				id, _, _ := strings.Cut(strings.TrimPrefix(line, "id="), " ")
				ids = append(ids, id)
			}
		}
		return len(ids) >= n
	})
	return ids
}

func wantReturn(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: Wait returned %v, want nil", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: Wait still blocked after 5s", what)
	}
}

func wantBlocked(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s: Wait returned %v, want it still blocked", what, err)
	default:
	}
}

// TestWaitAcrossProcesses: two stores (two processes' worth of connections) block on one
// tier; one enqueue of two jobs wakes the first, whose fetch re-adds the marker for the second.
func TestWaitAcrossProcesses(t *testing.T) {
	producer := openTest(t)
	opts := Options{Addrs: []string{testAddr()}, Prefix: producer.Prefix(), ClientName: "w-" + producer.Prefix()}
	var workers [2]*Store
	for i := range workers {
		s, err := New(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		workers[i] = s
	}
	const tier = store.High
	ctx := t.Context()
	a := startWait(ctx, workers[0], tier, time.Minute)
	b := startWait(ctx, workers[1], tier, time.Minute)
	waitBlocked(t, producer, opts.ClientName, 2)
	now := time.Now().UnixMilli()
	if _, err := producer.Enqueue(ctx, now, []*store.Job{newTestJob(tier, now), newTestJob(tier, now)}); err != nil {
		t.Fatal(err)
	}
	var second <-chan error
	select {
	case err := <-a:
		second = b
		if err != nil {
			t.Fatal(err)
		}
	case err := <-b:
		second = a
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no waiter woke after an enqueue")
	}
	wantBlocked(t, second, "before the first worker fetched")
	w := workers[0]
	r, err := w.Fetch(ctx, store.FetchRequest{Tier: tier, Limit: 1, Now: now, LeaseMs: 1000})
	if err != nil || len(r.Jobs) != 1 {
		t.Fatalf("Fetch = %d jobs, %v; want 1", len(r.Jobs), err)
	}
	wantReturn(t, second, "second waiter after the first fetch left work")
}

// TestCloseUnblocksWait: Close returns a blocked Wait at once with store.ErrClosed, and Wait
// after Close returns it too.
func TestCloseUnblocksWait(t *testing.T) {
	s := openTest(t)
	done := startWait(t.Context(), s, store.Batch, time.Minute)
	waitBlocked(t, s, DefaultClientName, 1)
	_ = s.Close()
	wantClosed(t, done, "blocked Wait after Close")
	wantClosed(t, startWait(t.Context(), s, store.Batch, time.Minute), "Wait on a closed store")
}

// wantClosed checks that a Wait returns an error wrapping store.ErrClosed within 5 s.
func wantClosed(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if !errors.Is(err, store.ErrClosed) {
			t.Fatalf("%s: Wait returned %v, want store.ErrClosed", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: Wait still blocked after 5s", what)
	}
}

// TestWaitSurvivesClientKill: a killed blocking connection is replaced by a fresh one
// and the waiter still wakes on the next enqueue.
func TestWaitSurvivesClientKill(t *testing.T) {
	base := openTest(t)
	name := "kill-" + base.Prefix()
	s, err := New(t.Context(), Options{Addrs: []string{testAddr()}, Prefix: base.Prefix(), ClientName: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	const tier = store.Critical
	for round := range 2 { // the second round kills the replacement connection too
		done := startWait(t.Context(), s, tier, time.Minute)
		ids := waitBlocked(t, base, name, 1)
		if err := base.client.Do(t.Context(), base.client.B().ClientKill().Id(toInt(t, ids[0])).Build()).Error(); err != nil {
			t.Fatal(err)
		}
		// The waiter must come back on a new connection (or return early, which is allowed).
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: Wait after CLIENT KILL returned %v", round, err)
			}
			done = startWait(t.Context(), s, tier, time.Minute)
		default:
		}
		pollUntil(t, 5*time.Second, "blocked again on a new connection", func() bool {
			again := waitBlocked(t, base, name, 1)
			return again[0] != ids[0]
		})
		now := time.Now().UnixMilli()
		if _, err := base.Enqueue(t.Context(), now, []*store.Job{newTestJob(tier, now)}); err != nil {
			t.Fatal(err)
		}
		wantReturn(t, done, "after CLIENT KILL and an enqueue")
		if _, err := s.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: 10, Now: now, LeaseMs: 1000}); err != nil {
			t.Fatal(err)
		}
	}
}

func toInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("bad client id %q: %v", s, err)
	}
	return n
}
