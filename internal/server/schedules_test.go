package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/redisstore"
)

// Two `slaq serve` replicas in production (no workers) on one Redis, with a schedule from the
// config file: they fire it, each tick's job is stored once, and both list it with its last
// and next run at GET /api/jobs/schedules.
func TestServeFiresSchedules(t *testing.T) {
	prefix := testenv.RedisPrefix(t)
	file := filepath.Join(t.TempDir(), "slaq.yaml")
	yaml := "schedules:\n  - {name: heartbeat, cron: '@every 1s', type: heartbeat, tier: LOW, payload: {from: cron}}\n" +
		"  - {name: cleanup, cron: '0 2 * * *', zone: America/New_York, type: cleanup_old_logs, tier: BATCH, missed: skip}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var replicas []*running
	for range 2 {
		cfg := Default()
		if err := cfg.ApplyFile(file); err != nil {
			t.Fatal(err)
		}
		cfg.Env, cfg.Tokens = "production", []string{"prod-token"}
		cfg.RedisURL, cfg.RedisPrefix = "redis://"+testenv.RedisAddr(), prefix
		replicas = append(replicas, start(t, cfg))
	}
	for _, r := range replicas {
		out := r.out.String()
		if !strings.Contains(out, "workers:      off") || !strings.Contains(out, `schedules:    heartbeat: heartbeat "@every 1s" (UTC, LOW), next `) ||
			!strings.Contains(out, `cleanup: cleanup_old_logs "0 2 * * *" (America/New_York, BATCH), next `) {
			t.Errorf("banner:\n%s", out)
		}
	}
	// Wait until both replicas have seen at least three ticks after the first one.
	var firstSeen float64
	testenv.PollUntil(t, 20*time.Second, "three heartbeat ticks on both replicas", func() bool {
		for _, r := range replicas {
			_, m := r.get("/api/jobs/schedules", true)
			list, _ := m["schedules"].([]any)
			if len(list) != 2 {
				return false
			}
			hb := list[0].(map[string]any)
			last, _ := hb["last_run"].(float64)
			if last == 0 {
				return false
			}
			if firstSeen == 0 {
				firstSeen = last
			}
			if last < firstSeen+3000 || hb["next_run"].(float64) <= last || hb["tier"] != "LOW" || hb["last_id"] == "" {
				return false
			}
		}
		return true
	})
	for _, r := range replicas {
		if err := r.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	// One job per tick, for every tick from the first to the last.
	st, err := redisstore.New(context.Background(), redisstore.Options{Addrs: []string{testenv.RedisAddr()}, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ticks []int64
	for cursor := ""; ; {
		p, err := st.List(context.Background(), store.ListRequest{Tier: slaq.Low, State: store.StateWaiting, Cursor: cursor, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range p.Jobs {
			ms, err := strconv.ParseInt(strings.TrimPrefix(j.UniqueKey, "cron:heartbeat:"), 10, 64)
			if err != nil || j.Type != "heartbeat" || string(j.Payload) != `{"from":"cron"}` {
				t.Fatalf("job %+v (%v)", j, err)
			}
			ticks = append(ticks, ms)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	slices.Sort(ticks)
	if len(ticks) < 4 {
		t.Fatalf("only %d heartbeat jobs", len(ticks))
	}
	for i := 1; i < len(ticks); i++ {
		if ticks[i] != ticks[i-1]+1000 {
			t.Fatalf("ticks %v: want one job per second, none twice, none missing", fmtTicks(ticks))
		}
	}
}

func fmtTicks(ms []int64) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s ", time.UnixMilli(m).UTC().Format("15:04:05.000"))
	}
	return b.String()
}
