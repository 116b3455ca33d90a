package server

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

func TestDurableConfigFile(t *testing.T) {
	t.Setenv("TEST_APP_DB", "postgres://app@127.0.0.1/app")
	c := Default()
	body := `degrade: spool
spool: {path: /tmp/x/spool.db, limit: 500}
outbox: {url_env: TEST_APP_DB, migrate: true}
job_types:
  send_password_reset: {tier: CRITICAL, degrade: direct}
  export: {tier: LOW, degrade: fail}
`
	if err := c.ApplyFile(writeFile(t, body)); err != nil {
		t.Fatal(err)
	}
	if c.Degrade != slaq.DegradeSpool || c.SpoolPath != "/tmp/x/spool.db" || c.SpoolLimit != 500 ||
		c.OutboxURL != "postgres://app@127.0.0.1/app" || !c.OutboxMigrate || !c.wantsSpool() {
		t.Errorf("durable settings: %+v", c)
	}
	if c.Types["send_password_reset"].Degrade != slaq.DegradeDirect || c.Types["export"].Degrade != slaq.DegradeFail {
		t.Errorf("per-type degrade: %+v", c.Types)
	}
	cc := c.ClientConfig()
	if cc.Degrade != slaq.DegradeSpool || cc.Types["send_password_reset"].Degrade != slaq.DegradeDirect {
		t.Errorf("client config: degrade %v, types %+v", cc.Degrade, cc.Types)
	}
	for _, bad := range []struct{ body, want string }{
		{"degrade: later\n", `line 1: degrade "later": want fail, direct or spool`},
		{"job_types:\n  x: {degrade: maybe}\n", `line 2: job type x: degrade "maybe"`},
		{"spool: {limit: -1}\n", "line 1: spool limit must not be negative"},
		{"outbox: {url: a.db, url_env: B}\n", "line 1: outbox: give url or url_env, not both"},
		{"outbox: {migrate: true}\n", "line 1: outbox: needs url or url_env"},
		{"outbox: {url_env: TEST_NOT_SET_ANYWHERE}\n", "outbox: environment variable TEST_NOT_SET_ANYWHERE is empty"},
	} {
		p := writeFile(t, bad.body)
		c := Default()
		if err := c.ApplyFile(p); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want an error containing %q", bad.body, err, bad.want)
		}
	}
}

// A server without workers forwards an application's outbox: a job written with EnqueueTx
// in the application's database (SQLite and PostgreSQL) reaches the store once the
// transaction commits, and not before.
func TestServeForwardsOutbox(t *testing.T) {
	for _, k := range []struct{ name, driver string }{{"sqlite", "sqlite"}, {"postgres", "pgx"}} {
		t.Run(k.name, func(t *testing.T) {
			dir := t.TempDir()
			dsn := filepath.Join(dir, "app.db")
			if k.name == "postgres" {
				dsn = testenv.PostgresDSN(t)
			}
			off := false
			cfg := Default()
			cfg.DataDir, cfg.Workers, cfg.OutboxURL, cfg.OutboxMigrate = dir, &off, dsn, true
			r := start(t, cfg)
			if !strings.Contains(r.out.String(), "outbox:       "+k.driver) {
				t.Errorf("banner does not name the outbox:\n%s", r.out.String())
			}
			// The application: its own database handle and a client on the same embedded store,
			// never started (the server forwards).
			db, err := sql.Open(k.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ob, err := outbox.New(t.Context(), db, outbox.Options{})
			if err != nil {
				t.Fatal(err)
			}
			st, err := sqlitestore.Open(t.Context(), cfg.StorePath(), sqlitestore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			app, err := slaq.New(st, slaq.Config{Outbox: ob})
			if err != nil {
				t.Fatal(err)
			}
			tx, err := db.BeginTx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			id, err := app.EnqueueTx(t.Context(), tx, "charge", map[string]int{"amount": 5}, slaq.WithTier(slaq.High))
			if err != nil {
				t.Fatal(err)
			}
			if status, _ := r.get("/api/jobs/"+id, true); status != 404 {
				t.Fatalf("before commit the job is visible: %d", status)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			testenv.PollUntil(t, 15*time.Second, "the committed job forwarded", func() bool {
				status, _ := r.get("/api/jobs/"+id, true)
				return status == 200
			})
		})
	}
}

// With degrade: spool, an enqueue while Redis is cut is spooled (201, spooled) and reaches
// the store once Redis answers again.
func TestServeSpoolsWhileRedisIsDown(t *testing.T) {
	testenv.RequireRedis(t)
	proxy := testenv.NewProxy(t, testenv.RedisAddr())
	off := false
	cfg := Default()
	cfg.DataDir, cfg.Workers, cfg.Degrade = t.TempDir(), &off, slaq.DegradeSpool
	cfg.Store, cfg.RedisURL, cfg.RedisPrefix = StoreRedis, "redis://"+proxy.Addr(), testenv.RedisPrefix(t)
	r := start(t, cfg)
	if !strings.Contains(r.out.String(), "spool:        ") {
		t.Errorf("banner does not name the spool:\n%s", r.out.String())
	}
	proxy.SetUp(false)
	status, m := r.post("/api/jobs", `{"type":"charge","priority":2,"payload":{"n":1}}`)
	if status != 201 || m["spooled"] != true {
		t.Fatalf("enqueue while Redis is down: %d %v; want 201 spooled", status, m)
	}
	id, _ := m["id"].(string)
	proxy.SetUp(true)
	testenv.PollUntil(t, 30*time.Second, "the spooled job forwarded", func() bool {
		status, _ := r.get("/api/jobs/"+id, true)
		return status == 200
	})
}
