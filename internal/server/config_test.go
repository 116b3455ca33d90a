package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultConfig(t *testing.T) {
	c := Default()
	if err := c.ApplyEnv(env(nil)); err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(); err != nil {
		t.Fatal(err)
	}
	if !c.Development() || c.Store != StoreEmbedded || c.Addr != "127.0.0.1:4000" || !*c.Workers ||
		c.StorePath() != filepath.Join("slaq-data", "slaq.db") || c.DatabaseURL != filepath.Join("slaq-data", "dead-letters.db") {
		t.Errorf("defaults: %+v", c)
	}
}

func TestEnvConfig(t *testing.T) {
	c := Default()
	err := c.ApplyEnv(env(map[string]string{"SLAQ_ENV": "production", "PORT": "8080", "ADMIN_TOKEN": "a, b,,",
		"REDIS_HOST": "redis.internal", "REDIS_PASSWORD": "p@ss", "DATABASE_URL": "postgres://db/slaq",
		"SLAQ_SHUTDOWN_GRACE": "5s", "SLAQ_DATA_DIR": "/tmp/x"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(); err != nil {
		t.Fatal(err)
	}
	if c.Development() || c.Addr != ":8080" || c.Store != StoreRedis || c.RedisURL != "redis://:p%40ss@redis.internal:6379" ||
		strings.Join(c.Tokens, "|") != "a|b" || c.ShutdownGrace != 5*time.Second || *c.Workers || c.DatabaseURL != "postgres://db/slaq" {
		t.Errorf("env: %+v", c)
	}
	c = Default()
	c.ApplyEnv(env(map[string]string{"REDIS_URL": "redis://r:1/2", "REDIS_HOST": "ignored"}))
	if c.RedisURL != "redis://r:1/2" {
		t.Errorf("REDIS_URL wins: %s", c.RedisURL)
	}
	for _, bad := range []map[string]string{{"PORT": "http"}, {"PORT": "70000"}, {"REDIS_PORT": "x"}, {"SLAQ_SHUTDOWN_GRACE": "soon"}} {
		c := Default()
		if err := c.ApplyEnv(env(bad)); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	c = Default()
	c.ApplyEnv(env(map[string]string{"SLAQ_ENV": "production"}))
	if err := c.Resolve(); err != nil {
		t.Fatal(err)
	}
	if err := c.RequireToken(); err == nil || !strings.Contains(err.Error(), "ADMIN_TOKEN") {
		t.Errorf("production without a token: %v", err)
	}
	c = Default()
	c.Store = "mongo"
	if err := c.Resolve(); err == nil {
		t.Error("store mongo: no error")
	}
}

const goodFile = `# slaq.yaml
env: staging
listen: "127.0.0.1:4100"
data_dir: ./data
shutdown_grace: 10s
workers: false
tiers:
  critical: {workers: 30, sla: 500ms}
  5: {workers: 1, cap: 1}
job_types:
  send_email: {tier: MEDIUM, attempts: 3, timeout: 1m, rate_limit: {limit: 50, per: 1m}}
  webhook_cryptomus:
    tier: 2
    rate_limit: {limit: 100, per: 1m, burst: 10}
schedules:
  - name: cleanup
    cron: "0 2 * * *"
    type: cleanup
    tier: BATCH
  - {name: newsletter, cron: "0 9 * * MON", zone: Europe/Berlin, missed: catch_up, type: send_bulk_emails, payload: {list: all, n: [1, 2]}}
  - {name: hourly, cron: "@hourly", type: sync, missed: skip, catch_up_window: 2h}
`

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "slaq.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigFile(t *testing.T) {
	c := Default()
	if err := c.ApplyFile(writeFile(t, goodFile)); err != nil {
		t.Fatal(err)
	}
	if c.Env != "staging" || c.Addr != "127.0.0.1:4100" || c.DataDir != "./data" || c.ShutdownGrace != 10*time.Second || *c.Workers {
		t.Errorf("top level: %+v", c)
	}
	if c.Tiers[slaq.Critical].Workers != 30 || c.Tiers[slaq.Critical].SLA != 500*time.Millisecond || c.Tiers[slaq.Batch].Cap != 1 {
		t.Errorf("tiers: %+v", c.Tiers)
	}
	e := c.Types["send_email"]
	if e.Tier != slaq.Medium || e.MaxAttempts != 3 || e.Timeout != time.Minute || e.RateLimit == nil || e.RateLimit.Limit != 50 {
		t.Errorf("send_email: %+v", e)
	}
	if w := c.Types["webhook_cryptomus"]; w.Tier != slaq.High || w.RateLimit.Burst != 10 {
		t.Errorf("webhook: %+v", w)
	}
	if len(c.Schedules) != 3 || c.Schedules[0].Tier != slaq.Batch || c.Schedules[1].Cron != "0 9 * * MON" ||
		string(c.Schedules[1].Payload) != `{"list":"all","n":[1,2]}` || string(c.Schedules[0].Payload) != "null" {
		t.Errorf("schedules: %+v", c.Schedules)
	}
	if n, h := c.Schedules[1], c.Schedules[2]; n.Zone != "Europe/Berlin" || n.Missed != slaq.MissedCatchUp || c.Schedules[0].Zone != "" ||
		h.Missed != slaq.MissedSkip || h.CatchUpWindow != 2*time.Hour {
		t.Errorf("schedules' zone and missed-tick policy: %+v", c.Schedules)
	}
	cc := c.ClientConfig()
	if cc.Types["send_email"].MaxAttempts != 3 || cc.Tiers[slaq.Critical].Workers != 30 {
		t.Errorf("client config: %+v", cc)
	}
	if len(cc.Schedules) != 3 || cc.Schedules[0].Spec != "0 2 * * *" || len(cc.Schedules[0].Options) != 1 || len(cc.Schedules[1].Options) != 0 ||
		cc.Schedules[1].Zone != "Europe/Berlin" || cc.Schedules[1].Missed != slaq.MissedCatchUp || cc.Schedules[2].CatchUpWindow != 2*time.Hour {
		t.Errorf("schedules reach the client config: %+v", cc.Schedules)
	}
	if rl := cc.RateLimits["webhook_cryptomus"]; rl.Rate != 100 || rl.Per != time.Minute || rl.Burst != 10 || rl.Tier != slaq.High {
		t.Errorf("rate limits reach the client config: %+v", cc.RateLimits)
	}
	if _, err := slaq.New(nil, cc); err == nil {
		t.Error("want the nil-store error, to prove the config itself resolves") // slaq.New checks the store first
	}
	// The environment overrides the file.
	c.ApplyEnv(env(map[string]string{"SLAQ_ENV": "development"}))
	if !c.Development() {
		t.Error("env does not override the file")
	}
}

// TestConfigFileErrors: a bad file is an error naming the file and the line.
func TestConfigFileErrors(t *testing.T) {
	for _, c := range []struct {
		body, want string
	}{
		{"env: production\nlisten: [\n", "line 2: did not find expected node content"},
		{"env: production\ncolour: red\n", "line 2: field colour not found"},
		{"tiers:\n  URGENT: {workers: 3}\n", `line 2: unknown tier "URGENT"`},
		{"tiers:\n  HIGH: {workers: 3, speed: 2}\n", "line 2: field speed not found"},
		{"tiers:\n  HIGH:\n    workers: -3\n", "line 3: tier HIGH: workers must not be negative"},
		{"tiers:\n  HIGH:\n    timeout: soon\n", `line 3: "soon" is not a duration`},
		{"job_types:\n  send_email:\n    tier: 9\n", `line 3: unknown tier "9"`},
		{"job_types:\n  send_email:\n    attempts: many\n", "line 3: cannot unmarshal"},
		{"job_types:\n  send_email:\n    attempts: -1\n", "line 3: job type send_email: attempts"},
		{"job_types:\n  x:\n    rate_limit: {limit: 0, per: 1m}\n", "line 3: job type x: rate_limit"},
		{"schedules:\n  - name: a\n    cron: \"0 25 * * *\"\n    type: t\n", `line 3: cron "0 25 * * *": end of range (25) above maximum (23)`},
		{"schedules:\n  - name: a\n    cron: \"* * *\"\n    type: t\n", "line 3: cron \"* * *\": expected exactly 5 fields"},
		{"schedules:\n  - name: a\n    cron: \"@sometimes\"\n    type: t\n", "line 3: cron \"@sometimes\": unrecognized descriptor"},
		{"schedules:\n  - {name: a, cron: '*/0 * * * *', type: t}\n", "line 2: cron"},
		{"schedules:\n  - {name: a, cron: '5-1 * * * *', type: t}\n", "beyond end of range"},
		{"schedules:\n  - {name: a, cron: '@every 500ms', type: t}\n", "@every wants"},
		{"schedules:\n  - {name: a, cron: '0 0 30 2 *', type: t}\n", "never fires"},
		{"schedules:\n  - {name: a, cron: [0, 2], type: t}\n", "line 2: cron: want a cron expression"},
		{"schedules:\n  - name: a\n    cron: '0 2 * * *'\n    zone: Mars/Olympus\n    type: t\n", `line 4: schedule "a": zone "Mars/Olympus": unknown time zone`},
		{"schedules:\n  - {name: a, cron: '0 2 * * *', zone: Local, type: t}\n", `line 2: schedule "a": zone "Local"`},
		{"schedules:\n  - name: a\n    cron: '0 2 * * *'\n    missed: sometimes\n    type: t\n", `line 4: missed "sometimes": want skip or catch_up`},
		{"schedules:\n  - {name: a, cron: '0 2 * * *', type: t, catch_up_window: soon}\n", `line 2: "soon" is not a duration`},
		{"schedules:\n  - {cron: '* * * * *', type: t}\n", "line 2: schedule 1 needs a name"},
		{"schedules:\n  - {name: a, cron: '* * * * *'}\n", `line 2: schedule "a" needs a job type`},
		{"schedules:\n  - {name: a, type: t}\n", `line 2: schedule "a" needs a cron spec`},
		{"schedules:\n  - {name: a, cron: '* * * * *', type: t}\n  - {name: a, cron: '* * * * *', type: t}\n", `line 3: schedule "a" is declared twice`},
		{"port: 99999\n", "line 1: port 99999"},
		{"store: mongo\n", `line 1: store "mongo"`},
		{"shutdown_grace: -1s\n", "line 1:"},
	} {
		p := writeFile(t, c.body)
		cfg := Default()
		err := cfg.ApplyFile(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%q: error %v, want it to name %s and contain %q", c.body, err, p, c.want)
		}
	}
	cfg := Default()
	if err := cfg.ApplyFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file: no error")
	}
	if err := cfg.ApplyFile(writeFile(t, "")); err != nil {
		t.Errorf("empty file: %v", err)
	}
}
