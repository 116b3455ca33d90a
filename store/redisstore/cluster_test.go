package redisstore

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/storetest"
)

// startCluster starts a three-master Redis Cluster on free loopback ports in a temp dir and
// stops it when the test ends. It returns the nodes' addresses.
func startCluster(t *testing.T) []string {
	t.Helper()
	needBinaries(t, "redis-server", "redis-cli")
	var addrs []string
	for _, port := range freePorts(t, 3) {
		addrs = append(addrs, startRedis(t, port, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"))
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, a := range addrs {
		pollUntil(t, 20*time.Second, "cluster_state:ok on "+a, func() bool { return clusterOK(a) })
	}
	return addrs
}

func clusterOK(addr string) bool {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, ForceSingleClient: true, DisableCache: true})
	if err != nil {
		return false
	}
	defer c.Close()
	info, err := c.Do(context.Background(), c.B().ClusterInfo().Build()).ToString()
	return err == nil && strings.Contains(info, "cluster_state:ok")
}

// TestCluster runs the conformance suite, a cross-tier batch and the script cache fallback
// against a three-master Cluster of its own.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	addrs := startCluster(t)
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, addrs...) })
		storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) { return openPair(t, addrs...) })
	})
	t.Run("TiersOnSeveralNodes", func(t *testing.T) {
		s := openTest(t, addrs...)
		slots := map[int64]bool{}
		for _, tk := range s.tiers {
			n, err := s.client.Do(t.Context(), s.client.B().ClusterKeyslot().Key(tk.waiting).Build()).AsInt64()
			if err != nil {
				t.Fatal(err)
			}
			slots[n] = true
		}
		if len(slots) < 2 {
			t.Logf("all tiers hash to one slot with prefix %s; the batch below is single-node", s.Prefix())
		}
		now := time.Now().UnixMilli()
		var jobs []*store.Job
		for _, tier := range store.Tiers {
			jobs = append(jobs, newTestJob(tier, now))
		}
		if _, err := s.Enqueue(t.Context(), now, jobs); err != nil {
			t.Fatalf("cross-tier Enqueue: %v", err)
		}
		counts, err := s.Counts(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var acks []store.Ack
		for _, tier := range store.Tiers {
			if c := counts[tier.Index()]; c.Waiting != 1 {
				t.Fatalf("%s: %+v, want 1 waiting", tier, c)
			}
			r, err := s.Fetch(t.Context(), store.FetchRequest{Tier: tier, Limit: 5, Now: now, LeaseMs: 1000})
			if err != nil || len(r.Jobs) != 1 {
				t.Fatalf("%s: Fetch = %d jobs, %v", tier, len(r.Jobs), err)
			}
			acks = append(acks, store.Ack{Kind: store.AckComplete, ID: r.Jobs[0].ID, Now: now})
		}
		if err := s.Ack(t.Context(), acks); err != nil {
			t.Fatalf("cross-tier Ack: %v", err)
		}
		counts, _ = s.Counts(t.Context())
		for _, tier := range store.Tiers {
			if c := counts[tier.Index()]; c != (store.Counts{Completed: 1}) {
				t.Fatalf("%s after ack: %+v", tier, c)
			}
		}
	})
	t.Run("ScriptCacheFlushed", func(t *testing.T) {
		s := openTest(t, addrs...)
		for _, n := range s.client.Nodes() {
			if err := n.Do(t.Context(), n.B().ScriptFlush().Build()).Error(); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().UnixMilli()
		a, b := newTestJob(store.High, now), newTestJob(store.Low, now)
		if _, err := s.Enqueue(t.Context(), now, []*store.Job{a, b}); err != nil {
			t.Fatalf("Enqueue after SCRIPT FLUSH: %v", err)
		}
		for _, j := range []*store.Job{a, b} {
			if got, err := s.Get(t.Context(), j.ID); err != nil || got.State != store.StateWaiting {
				t.Fatalf("Get(%s) = %+v, %v", j.ID, got, err)
			}
		}
	})
}
