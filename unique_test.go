package slaq_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"
)

// Submit says whether a job was stored or was a duplicate of the key's holder, for each
// release rule of a unique key: held within its TTL, released when the TTL passes, released
// when the holder is cancelled, and still held after the holder completed.
func TestSubmitReportsDuplicates(t *testing.T) {
	t.Parallel()
	const ttl = 10 * time.Second
	type step struct {
		do      string // "submit", "cancel" (the last stored job), "advance" (the clock by ttl), "complete" (the last stored job)
		dupOf   int    // for submit: the index of the submit it duplicates, or -1 when it is stored
		tierArg slaq.Tier
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"held within the TTL", []step{{do: "submit", dupOf: -1}, {do: "submit", dupOf: 0}, {do: "submit", dupOf: 0}}},
		{"released by the TTL", []step{{do: "submit", dupOf: -1}, {do: "advance"}, {do: "submit", dupOf: -1}, {do: "submit", dupOf: 2}}},
		{"released by cancel", []step{{do: "submit", dupOf: -1}, {do: "cancel"}, {do: "submit", dupOf: -1}, {do: "submit", dupOf: 2}}},
		{"kept after completion", []step{{do: "submit", dupOf: -1}, {do: "complete"}, {do: "submit", dupOf: 0}}},
		{"scoped per tier", []step{{do: "submit", dupOf: -1}, {do: "submit", dupOf: -1, tierArg: slaq.Low}, {do: "submit", dupOf: 1, tierArg: slaq.Low}, {do: "submit", dupOf: 0}}},
	}
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				st := open(t)
				clock := newFakeClock()
				c := newClient(t, st, slaq.Config{Clock: clock})
				ctx := context.Background()
				subs := map[int]slaq.Submitted{}
				var last slaq.Submitted
				for i, s := range tc.steps {
					switch s.do {
					case "submit":
						tier := slaq.High
						if s.tierArg != 0 {
							tier = s.tierArg
						}
						got, err := c.Submit(ctx, "charge", map[string]int{"step": i}, slaq.WithTier(tier), slaq.Unique("pay:1", ttl))
						if err != nil {
							t.Fatalf("step %d: %v", i, err)
						}
						if got.Tier != tier || got.Spooled || got.Direct {
							t.Fatalf("step %d: %+v, want tier %v, neither spooled nor direct", i, got, tier)
						}
						if s.dupOf < 0 {
							if got.Duplicate {
								t.Fatalf("step %d: %+v reported a duplicate; want it stored", i, got)
							}
							last = got
						} else if want := subs[s.dupOf]; !got.Duplicate || got.ID != want.ID {
							t.Fatalf("step %d: %+v; want a duplicate of step %d's %s", i, got, s.dupOf, want.ID)
						}
						subs[i] = got
					case "cancel":
						if err := c.Cancel(ctx, last.ID); err != nil {
							t.Fatalf("step %d: cancel: %v", i, err)
						}
					case "advance":
						clock.Advance(ttl)
					case "complete":
						completeOne(t, st, last.ID, clock.Now())
					}
				}
			})
		}
	})
}

// completeOne claims and completes the job id through the store, as a worker would.
func completeOne(t *testing.T, st store.Store, id string, now time.Time) {
	t.Helper()
	tier, _ := store.TierOfID(id)
	r, err := st.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: 1, Now: now.UnixMilli(), LeaseMs: 30_000})
	if err != nil || len(r.Jobs) != 1 || r.Jobs[0].ID != id {
		t.Fatalf("fetch %s: %+v, %v", id, r.Jobs, err)
	}
	if err := st.Ack(t.Context(), []store.Ack{{Kind: store.AckComplete, ID: id, StartedAt: r.Jobs[0].StartedAt, Now: now.UnixMilli()}}); err != nil {
		t.Fatalf("ack %s: %v", id, err)
	}
}

// SubmitBulk reports a duplicate within one call like one of a stored job.
func TestSubmitBulkDuplicatesInOneCall(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) store.Store) {
		c := newClient(t, open(t), slaq.Config{})
		reqs := []slaq.Request{
			{Type: "mail", Options: []slaq.Option{slaq.Unique("m:1", time.Minute)}},
			{Type: "mail", Options: []slaq.Option{slaq.Unique("m:1", time.Minute)}},
			{Type: "mail"},
		}
		subs, err := c.SubmitBulk(context.Background(), reqs)
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) != 3 || subs[0].Duplicate || !subs[1].Duplicate || subs[1].ID != subs[0].ID || subs[2].Duplicate || subs[2].ID == subs[0].ID {
			t.Fatalf("got %+v; want the second to duplicate the first", subs)
		}
	})
}

// Child processes submitting the same unique keys at once: each key is stored by exactly one
// of them, and every other submit, in any process, names that job as a duplicate.
func TestUniqueAcrossProcesses(t *testing.T) {
	t.Parallel()
	const keys = 60
	kinds := []struct {
		name  string
		procs int
		open  func(t *testing.T) (store.Store, string)
	}{
		{"redis", 3, openSharedRedis},
		{"embedded", 2, openSharedEmbedded},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			st, spec := k.open(t)
			children := make([]*child, k.procs)
			for i := range children {
				children[i] = startChildEnv(t, "^TestChildSubmitter$", "SLAQ_SUBMITTER="+spec, fmt.Sprintf("SLAQ_SUBMITTER_KEYS=%d", keys))
			}
			for _, ch := range children {
				ch.say(t, "go")
			}
			stored := map[string]string{} // key -> id stored
			named := map[string][]string{}
			for _, ch := range children {
				for range keys {
					f := strings.Fields(ch.expect(t, "sub "))
					if len(f) != 3 {
						t.Fatalf("bad line %q", f)
					}
					key, id, dup := f[0], f[1], f[2] == "true"
					if !dup {
						if prev, ok := stored[key]; ok {
							t.Fatalf("key %s stored twice: %s and %s", key, prev, id)
						}
						stored[key] = id
					}
					named[key] = append(named[key], id)
				}
			}
			for i := range keys {
				key := fmt.Sprintf("k%d", i)
				id, ok := stored[key]
				if !ok {
					t.Fatalf("key %s stored by no process; ids %v", key, named[key])
				}
				for _, other := range named[key] {
					if other != id {
						t.Fatalf("key %s: a process was told %s, the stored job is %s", key, other, id)
					}
				}
			}
			counts, err := st.Counts(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if w := counts[store.High.Index()].Waiting; w != keys {
				t.Fatalf("HIGH holds %d waiting jobs, want %d", w, keys)
			}
		})
	}
}

// TestChildSubmitter is the main of TestUniqueAcrossProcesses's processes: it opens the store
// named by SLAQ_SUBMITTER, says "ready", waits for "go" on stdin, submits keys k0..kN-1 in a
// random order and prints "sub KEY ID DUPLICATE" for each.
func TestChildSubmitter(t *testing.T) {
	spec := os.Getenv("SLAQ_SUBMITTER")
	if spec == "" {
		t.Skip("runs only as a child of TestUniqueAcrossProcesses")
	}
	var n int
	fmt.Sscan(os.Getenv("SLAQ_SUBMITTER_KEYS"), &n)
	c := newClient(t, openChildStore(t, spec), slaq.Config{})
	fmt.Println("ready")
	var word string
	fmt.Scanln(&word)
	for _, i := range rand.Perm(n) {
		key := fmt.Sprintf("k%d", i)
		s, err := c.Submit(context.Background(), "charge", nil, slaq.WithTier(slaq.High), slaq.Unique(key, time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("sub %s %s %t\n", key, s.ID, s.Duplicate)
	}
}
