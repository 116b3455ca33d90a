package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq/internal/testenv"
	"github.com/slaqhq/slaq/outbox"
	"github.com/slaqhq/slaq/store"
)

// dialects opens an empty database of each kind the outbox supports: an SQLite file in the
// test's temporary directory, a fresh PostgreSQL schema.
var dialects = []struct {
	name string
	open func(t *testing.T) *sql.DB
}{
	{"sqlite", func(t *testing.T) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "app.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}},
	{"postgres", func(t *testing.T) *sql.DB { return openPostgres(t, testenv.PostgresDSN(t), nil) }},
}

// migrated returns the outbox in db, its migrations run.
func migrated(t *testing.T, db *sql.DB) *outbox.Outbox {
	t.Helper()
	o, err := outbox.New(t.Context(), db, outbox.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// insertRaw writes an outbox row as something other than slaq would (a hand-made row, an
// incompatible version) and returns its seq.
func insertRaw(t *testing.T, db *sql.DB, o *outbox.Outbox, jobID, record string) int64 {
	t.Helper()
	q := "INSERT INTO " + outbox.Table + " (job_id, job, payload) VALUES ($1, $2, $3) RETURNING seq"
	if o.Dialect() == outbox.SQLite {
		q = strings.NewReplacer("$1", "?", "$2", "?", "$3", "?").Replace(q)
	}
	var seq int64
	if err := db.QueryRow(q, jobID, []byte(record), []byte(`{"poison":true}`)).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	return seq
}

// poisonRecords are job records that do not decode to a job the store can take, each with a
// word of the reason a forward gives.
func poisonRecords(id string) []struct{ name, record, reason string } {
	return []struct{ name, record, reason string }{
		{"not JSON", `{"ID":"` + id + `","Type":`, "decode job"},
		{"empty id", `{"ID":"","Type":"t","Tier":"HIGH","State":"waiting"}`, "empty job id"},
		{"unknown tier name", `{"ID":"` + id + `","Type":"t","Tier":"URGENT","State":"waiting"}`, "tier"},
		{"no tier", `{"ID":"` + id + `","Type":"t","State":"waiting"}`, "invalid tier"},
		{"empty type", `{"ID":"` + id + `","Tier":"HIGH","State":"waiting"}`, "empty job type"},
		{"NUL in the id", `{"ID":"\u0000x","Type":"t","Tier":"HIGH","State":"waiting"}`, "does not name its tier"},
		{"id of another tier", `{"ID":"1` + id[1:] + `","Type":"t","Tier":"HIGH","State":"waiting"}`, "does not name its tier"},
	}
}

// A batch of a good row, a poison row and a good row: Forward moves both good jobs in order
// and sets the poison row aside in slaq_outbox_rejected with its reason, in the transaction
// that removes the batch (a failed store write leaves all three rows); the outbox is then
// empty and the next forward finds nothing.
func TestForwardSetsAsidePoisonRows(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		for _, p := range poisonRecords(store.NewID(store.High, 1_800_000_000_000)) {
			t.Run(d.name+"/"+p.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				db := d.open(t)
				o := migrated(t, db)
				good := testJobs(2)
				if err := o.Add(ctx, good[:1]); err != nil {
					t.Fatal(err)
				}
				seq := insertRaw(t, db, o, "poison-job", p.record)
				if err := o.Add(ctx, good[1:]); err != nil {
					t.Fatal(err)
				}

				failed := errors.New("store down")
				if _, err := o.Forward(ctx, 10, func(context.Context, []*store.Job) error { return failed }); !errors.Is(err, failed) {
					t.Fatalf("forward with a failing store write: %v, want its error", err)
				}
				if n, err := o.Len(ctx); err != nil || n != 3 {
					t.Fatalf("after a failed store write the outbox holds %d rows (%v), want all 3", n, err)
				}
				if n, err := o.Rejected(ctx); err != nil || n != 0 {
					t.Fatalf("after a failed store write %d rows (%v) were set aside, want none", n, err)
				}

				var got []string
				move := func(_ context.Context, jobs []*store.Job) error {
					got = append(got, ids(jobs)...)
					return nil
				}
				before := time.Now().UnixMilli()
				res, err := o.Forward(ctx, 10, move)
				after := time.Now().UnixMilli()
				if err != nil {
					t.Fatal(err)
				}
				if res.Moved != 2 || len(res.Rejected) != 1 || res.Rows() != 3 {
					t.Fatalf("forward: %+v, want 2 moved and 1 rejected", res)
				}
				if r := res.Rejected[0]; r.Seq != seq || r.JobID != "poison-job" || !strings.Contains(r.Reason, p.reason) {
					t.Fatalf("rejection %+v, want seq %d, job_id poison-job and a reason with %q", r, seq, p.reason)
				}
				if !slices.Equal(got, ids(good)) {
					t.Fatalf("moved %v, want %v in order", got, ids(good))
				}
				if n, err := o.Len(ctx); err != nil || n != 0 {
					t.Fatalf("the outbox holds %d rows (%v), want none", n, err)
				}
				if n, err := o.Rejected(ctx); err != nil || n != 1 {
					t.Fatalf("Rejected = %d (%v), want 1", n, err)
				}
				var (
					rSeq, at        int64
					jobID, reason   string
					record, payload []byte
				)
				err = db.QueryRow("SELECT seq, job_id, job, payload, reason, rejected_at FROM "+outbox.RejectedTable).
					Scan(&rSeq, &jobID, &record, &payload, &reason, &at)
				if err != nil {
					t.Fatal(err)
				}
				if rSeq != seq || jobID != "poison-job" || string(record) != p.record || string(payload) != `{"poison":true}` ||
					reason != res.Rejected[0].Reason || at < before || at > after {
					t.Fatalf("set aside seq %d, job_id %q, job %q, payload %q, reason %q at %d; want the row as inserted, the reason %q, at %d..%d",
						rSeq, jobID, record, payload, reason, at, res.Rejected[0].Reason, before, after)
				}
				res, err = o.Forward(ctx, 10, func(context.Context, []*store.Job) error {
					t.Error("move called on an empty outbox")
					return nil
				})
				if err != nil || res.Rows() != 0 {
					t.Fatalf("second forward: %+v, %v; want nothing", res, err)
				}
			})
		}
	}
}

// A batch of nothing but a poison row is set aside without a call to move.
func TestForwardOnlyPoison(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := d.open(t)
			o := migrated(t, db)
			seq := insertRaw(t, db, o, "x", "not json")
			res, err := o.Forward(ctx, 10, func(context.Context, []*store.Job) error {
				t.Error("move called with no valid job")
				return nil
			})
			if err != nil || res.Moved != 0 || len(res.Rejected) != 1 || res.Rejected[0].Seq != seq {
				t.Fatalf("forward: %+v, %v; want row %d rejected", res, err, seq)
			}
			if n, err := o.Rejected(ctx); err != nil || n != 1 {
				t.Fatalf("Rejected = %d (%v), want 1", n, err)
			}
		})
	}
}

// A spool's poison row, once set aside, no longer counts as pending (else the client would
// stay degraded for good).
func TestSpoolPendingAfterRejection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "spool.db")
	sp, err := outbox.OpenSpool(ctx, path, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Add(ctx, testJobs(1)); err != nil {
		t.Fatal(err)
	}
	insertRaw(t, sp.DB(), sp, "x", "not json")
	if err := sp.Add(ctx, testJobs(1)); err != nil {
		t.Fatal(err)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	sp, err = outbox.OpenSpool(ctx, path, outbox.Options{}) // counts the raw row too
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sp.Close() })
	if p := sp.Pending(); p != 3 {
		t.Fatalf("Pending = %d at open, want 3", p)
	}
	res, err := sp.Forward(ctx, 10, func(context.Context, []*store.Job) error { return nil })
	if err != nil || res.Moved != 2 || len(res.Rejected) != 1 {
		t.Fatalf("forward: %+v, %v; want 2 moved, 1 rejected", res, err)
	}
	if p := sp.Pending(); p != 0 {
		t.Fatalf("Pending = %d after the forward, want 0", p)
	}
}

// Two forwarders on one SQLite file overlap: the first reads a batch and is still writing it
// to the store when the second moves and deletes the same rows, emptying the outbox, and a
// new job is inserted. When the first one deletes its batch, the new job stays: its seq is
// new (AUTOINCREMENT), not the reused seq of a deleted row.
func TestSQLiteOverlappingForwardersKeepNewRows(t *testing.T) {
	t.Parallel()
	db := dialects[0].open(t)
	ctx := t.Context()
	o := migrated(t, db)
	jobs := testJobs(3)
	if err := o.Add(ctx, jobs[:2]); err != nil {
		t.Fatal(err)
	}
	inMove, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := o.Forward(ctx, 10, func(context.Context, []*outbox.Job) error {
			close(inMove)
			<-release
			return nil
		})
		first <- err
	}()
	<-inMove
	if _, err := o.Forward(ctx, 10, func(context.Context, []*outbox.Job) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := o.Add(ctx, jobs[2:]); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	var left []string
	if _, err := o.Forward(ctx, 10, func(_ context.Context, js []*outbox.Job) error {
		for _, j := range js {
			left = append(left, j.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{jobs[2].ID}) {
		t.Fatalf("after the overlapping forwards the outbox held %v, want the new job %s", left, jobs[2].ID)
	}
}
