package sqlitestore

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/storetest"
)

// provider returns a goose provider of the store's migrations on the file at path.
func provider(t *testing.T, path string) (*goose.Provider, *sql.DB) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys,
		goose.WithTableName(VersionTable), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p, db
}

// TestUpgradeFromFirstSchema writes jobs and a unique key into a file at schema version 1
// (one global key per name, no kept counts), opens it with the current store, and checks
// that the key is held in its tier only, that the kept counts were filled in (so Clean by
// count deletes exactly the excess), and that the migrations also go down again.
func TestUpgradeFromFirstSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "slaq.db")
	p, db := provider(t, path)
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	base := storetest.Base
	holder := store.NewID(store.High, base)
	seed := []string{
		`INSERT INTO slaq_jobs (id, tier, state, type, run_at, created_at, unique_key, unique_ttl_ms)
		 VALUES ('` + holder + `', 2, 'waiting', 't', ` + itoa(base) + `, ` + itoa(base) + `, 'k', 60000)`,
		`INSERT INTO slaq_unique (key, job_id, tier, expires_at) VALUES ('k', '` + holder + `', 2, ` + itoa(base+60_000) + `)`,
		`UPDATE slaq_tiers SET waiting = 1 WHERE tier = 2`,
	}
	for i := range 3 { // three completed jobs of LOW, finished at base+1..3, kept an hour
		id := store.NewID(store.Low, base)
		seed = append(seed, `INSERT INTO slaq_jobs (id, tier, state, type, run_at, created_at, finished_at, retain_ms)
		 VALUES ('`+id+`', 4, 'completed', 't', `+itoa(base)+`, `+itoa(base)+`, `+itoa(base+1+int64(i))+`, 3600000)`)
	}
	seed = append(seed, `UPDATE slaq_tiers SET completed = 3 WHERE tier = 4`)
	for _, q := range seed {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	s, err := Open(ctx, path, Options{ExternalChangeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dup := func(tier store.Tier) store.EnqueueResult {
		j := &store.Job{ID: store.NewID(tier, base), Type: "t", Tier: tier, RunAt: base, CreatedAt: base,
			MaxAttempts: 1, UniqueKey: "k", UniqueTTLMs: 60_000}
		res, err := s.Enqueue(ctx, base+1, []*store.Job{j})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	if r := dup(store.High); r != (store.EnqueueResult{ID: holder, Duplicate: true}) {
		t.Fatalf("key of the upgraded file in its tier = %+v, want held by %s", r, holder)
	}
	if r := dup(store.Low); r.Duplicate {
		t.Fatalf("key of the upgraded file in another tier = %+v, want it free", r)
	}
	r, err := s.Clean(ctx, store.CleanRequest{Tier: store.Low, Now: base + 10, KeepCompleted: 1, Limit: 10})
	if err != nil || r != (store.CleanResult{Completed: 2}) {
		t.Fatalf("Clean(KeepCompleted 1) of the upgraded file = %+v, %v; want 2 completed deleted", r, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(context.Background(), 0); err != nil {
		t.Fatalf("migrations down: %v", err)
	}
}

// itoa formats n for the seed SQL.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
