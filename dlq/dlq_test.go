package dlq

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// dlqCases run against every backend in testBackends, each on a fresh, migrated database.
var dlqCases = []struct {
	name string
	run  func(t *testing.T, db *DB, dsn string)
}{
	{"add and get every field", testRoundTrip},
	{"add the same job twice keeps one row", testAddTwice},
	{"concurrent adds of one job keep one row", testAddConcurrent},
	{"add fails on a nil job or an empty id and writes none", testAddRejects},
	{"get a missing job", testGetMissing},
	{"list and count filters", testListFilters},
	{"list limit is capped", testListLimitCap},
	{"delete", testDelete},
	{"purge", testPurge},
	{"purge more than one chunk", testPurgeChunks},
	{"entry job re-enqueues fresh", testEntryJob},
	{"db job returns the job as it died", testDBJob},
	{"open twice migrates once", testOpenTwice},
	{"ping and close", testPingClose},
}

func TestDLQ(t *testing.T) {
	t.Parallel()
	for _, b := range testBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range dlqCases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					dsn := b.dsn(t)
					c.run(t, openTest(t, dsn), dsn)
				})
			}
		})
	}
}

// t0 is a realistic failure time, in Unix ms.
const t0 int64 = 1_764_000_000_000

// fullJob returns a dead job with every field set to a distinct value.
func fullJob() *store.Job {
	return &store.Job{
		ID:          "1k9x2mq",
		Type:        "send_password_reset",
		Tier:        store.Critical,
		Payload:     []byte(`{"email": "zoë@example.com", "n": [1, 2.5, null]}`),
		State:       store.StateFailed,
		Attempts:    5,
		MaxAttempts: 5,
		TimeoutMs:   30_000,
		BackoffMs:   2_000,
		RunAt:       t0 - 1_000,
		CreatedAt:   t0 - 60_000,
		StartedAt:   t0 - 900,
		FinishedAt:  t0,
		LeaseUntil:  t0 + 29_100,
		LastError:   "panic: boom\n\ngoroutine 7 [running]:\nmain.handler(...)\n\t/app/handler.go:12 +0x1d\n",
		UniqueKey:   "reset:zoë@example.com",
		UniqueTTLMs: 60_000,
		RetainMs:    86_400_000,
	}
}

// deadJob returns a minimal dead job.
func deadJob(id, typ string, tier store.Tier, failedAt int64) *store.Job {
	return &store.Job{ID: id, Type: typ, Tier: tier, Payload: []byte(`{}`), State: store.StateFailed,
		Attempts: 1, MaxAttempts: 1, CreatedAt: failedAt - 10, StartedAt: failedAt - 5,
		FinishedAt: failedAt, LastError: "error of " + id}
}

func mustAdd(t *testing.T, db *DB, jobs ...*store.Job) {
	t.Helper()
	if err := db.Add(t.Context(), jobs); err != nil {
		t.Fatalf("Add: %v", err)
	}
}

func mustGet(t *testing.T, db *DB, jobID string) *Entry {
	t.Helper()
	e, err := db.Get(t.Context(), jobID)
	if err != nil {
		t.Fatalf("Get(%q): %v", jobID, err)
	}
	return e
}

func mustCount(t *testing.T, db *DB, f Filter) int64 {
	t.Helper()
	n, err := db.Count(t.Context(), f)
	if err != nil {
		t.Fatalf("Count(%+v): %v", f, err)
	}
	return n
}

func testRoundTrip(t *testing.T, db *DB, _ string) {
	noPayload := deadJob("3nopayload", "cleanup", store.Medium, t0)
	noPayload.Payload = nil
	dirty := deadJob("4dirty", "webhook", store.Low, t0)
	dirty.LastError = "bad \xff byte and a \x00 NUL"
	mustAdd(t, db, fullJob(), noPayload, dirty)

	tests := []struct {
		jobID string
		want  Entry
	}{
		{"1k9x2mq", Entry{JobID: "1k9x2mq", Type: "send_password_reset", Tier: store.Critical,
			Payload: []byte(`{"email": "zoë@example.com", "n": [1, 2.5, null]}`),
			Error:   fullJob().LastError, Attempts: 5, MaxAttempts: 5, TimeoutMs: 30_000, BackoffMs: 2_000,
			UniqueKey: "reset:zoë@example.com", UniqueTTLMs: 60_000, RetainMs: 86_400_000,
			CreatedAt: t0 - 60_000, StartedAt: t0 - 900, FailedAt: t0}},
		{"3nopayload", Entry{JobID: "3nopayload", Type: "cleanup", Tier: store.Medium, Payload: nil,
			Error: "error of 3nopayload", Attempts: 1, MaxAttempts: 1, CreatedAt: t0 - 10,
			StartedAt: t0 - 5, FailedAt: t0}},
		{"4dirty", Entry{JobID: "4dirty", Type: "webhook", Tier: store.Low, Payload: []byte(`{}`),
			Error: "bad \uFFFD byte and a \uFFFD NUL", Attempts: 1, MaxAttempts: 1, CreatedAt: t0 - 10,
			StartedAt: t0 - 5, FailedAt: t0}},
	}
	for _, tt := range tests {
		got := mustGet(t, db, tt.jobID)
		if got.ID <= 0 {
			t.Errorf("Get(%q).ID = %d, want a positive row id", tt.jobID, got.ID)
		}
		tt.want.ID = got.ID
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("Get(%q):\n got  %+v\n want %+v", tt.jobID, *got, tt.want)
		}
	}
}

func testAddTwice(t *testing.T, db *DB, _ string) {
	first := deadJob("2twice", "send_email", store.High, t0)
	first.LastError = "smtp: connection refused"
	mustAdd(t, db, first)
	rowID := mustGet(t, db, "2twice").ID

	// The engine crashed before forgetting the job, and on restart the job had been retried
	// once more: the second Add carries a later failure.
	second := deadJob("2twice", "send_email", store.High, t0+5_000)
	second.LastError = "smtp: 550 mailbox unavailable"
	second.Attempts, second.StartedAt = 2, t0+4_000
	mustAdd(t, db, second)
	// The same job twice in one batch is one row too.
	mustAdd(t, db, second, second)

	if n := mustCount(t, db, Filter{}); n != 1 {
		t.Fatalf("Count = %d after adding one job three times, want 1", n)
	}
	got := mustGet(t, db, "2twice")
	if got.ID != rowID || got.Error != second.LastError || got.Attempts != 2 ||
		got.FailedAt != t0+5_000 || got.StartedAt != t0+4_000 {
		t.Errorf("after the second Add got row %d {error %q, attempts %d, failed_at %d, started_at %d}, "+
			"want row %d {%q, 2, %d, %d}", got.ID, got.Error, got.Attempts, got.FailedAt, got.StartedAt,
			rowID, second.LastError, t0+5_000, t0+4_000)
	}
}

func testAddConcurrent(t *testing.T, db *DB, _ string) {
	const writers = 4
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			errs <- db.Add(t.Context(), []*store.Job{deadJob("1race", "otp", store.Critical, t0+int64(i))})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Add: %v", err)
		}
	}
	if n := mustCount(t, db, Filter{}); n != 1 {
		t.Errorf("Count = %d after %d concurrent adds of one job, want 1", n, writers)
	}
}

// testAddRejects: a nil job or one without an id is a caller's bug that Add cannot report per
// job; it fails the whole batch and writes nothing. (Jobs with an id that the queue refuses
// are reported one by one: see TestAddRefusedRow.)
func testAddRejects(t *testing.T, db *DB, _ string) {
	tests := []struct {
		name    string
		bad     *store.Job
		wantErr string
	}{
		{"nil job", nil, "dlq: add: job 1 is nil"},
		{"empty id", deadJob("", "export", store.Batch, t0), "dlq: add: job 1 has an empty job id"},
	}
	for _, tt := range tests {
		good := deadJob("5good", "export", store.Batch, t0)
		err := db.Add(t.Context(), []*store.Job{good, tt.bad})
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: Add = %v, want an error containing %q", tt.name, err, tt.wantErr)
		}
		var r rejecter
		if errors.As(err, &r) {
			t.Errorf("%s: Add = %v reports rejected jobs %v, want a plain error", tt.name, err, r.Rejected())
		}
	}
	if n := mustCount(t, db, Filter{}); n != 0 {
		t.Errorf("Count = %d after failed batches, want 0", n)
	}
}

func testGetMissing(t *testing.T, db *DB, _ string) {
	mustAdd(t, db, deadJob("1here", "otp", store.Critical, t0))
	_, err := db.Get(t.Context(), "1gone")
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound (= store.ErrNotFound)", err)
	}
	if !strings.Contains(err.Error(), `"1gone"`) {
		t.Errorf("Get(missing) error %q does not name the job", err)
	}
}

func testListFilters(t *testing.T, db *DB, _ string) {
	// Added out of order; a and b fail at the same time, so the later row (b) lists first.
	mustAdd(t, db,
		deadJob("c", "send_email", store.Medium, t0+3_000),
		deadJob("a", "send_email", store.High, t0+1_000),
		deadJob("b", "process_payment", store.High, t0+1_000),
		deadJob("e", "export", store.Batch, t0+5_000),
		deadJob("d", "send_email", store.High, t0+4_000),
		deadJob("z", "cleanup", store.Batch, t0),
	)
	tests := []struct {
		name   string
		filter Filter
		want   []string // job ids, in order
		count  int64    // Count ignores Limit and Offset
	}{
		{"all, newest first", Filter{}, []string{"e", "d", "c", "b", "a", "z"}, 6},
		{"type", Filter{Type: "send_email"}, []string{"d", "c", "a"}, 3},
		{"tier", Filter{Tier: store.High}, []string{"d", "b", "a"}, 3},
		{"type and tier", Filter{Type: "send_email", Tier: store.High}, []string{"d", "a"}, 2},
		{"since is inclusive", Filter{Since: t0 + 3_000}, []string{"e", "d", "c"}, 3},
		{"until is exclusive", Filter{Until: t0 + 3_000}, []string{"b", "a", "z"}, 3},
		{"since and until", Filter{Since: t0 + 1_000, Until: t0 + 4_000}, []string{"c", "b", "a"}, 3},
		{"limit", Filter{Limit: 2}, []string{"e", "d"}, 6},
		{"limit and offset", Filter{Limit: 2, Offset: 2}, []string{"c", "b"}, 6},
		{"offset past the end", Filter{Offset: 6}, []string{}, 6},
		{"negative limit and offset are defaults", Filter{Limit: -1, Offset: -1}, []string{"e", "d", "c", "b", "a", "z"}, 6},
		{"no match", Filter{Type: "nope"}, []string{}, 0},
	}
	for _, tt := range tests {
		entries, err := db.List(t.Context(), tt.filter)
		if err != nil {
			t.Errorf("%s: List: %v", tt.name, err)
			continue
		}
		if entries == nil {
			t.Errorf("%s: List returned nil, want a non-nil slice", tt.name)
		}
		got := []string{}
		for _, e := range entries {
			got = append(got, e.JobID)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: List = %v, want %v", tt.name, got, tt.want)
		}
		if n := mustCount(t, db, tt.filter); n != tt.count {
			t.Errorf("%s: Count = %d, want %d", tt.name, n, tt.count)
		}
	}
	if _, err := db.List(t.Context(), Filter{Tier: 9}); err == nil || !strings.Contains(err.Error(), "invalid tier 9") {
		t.Errorf("List(tier 9) = %v, want an invalid tier error", err)
	}
	if _, err := db.Count(t.Context(), Filter{Tier: 9}); err == nil {
		t.Errorf("Count(tier 9) succeeded, want an invalid tier error")
	}
}

func testListLimitCap(t *testing.T, db *DB, _ string) {
	jobs := make([]*store.Job, MaxListLimit+1)
	for i := range jobs {
		jobs[i] = deadJob(fmt.Sprintf("4cap%04d", i), "report", store.Low, t0+int64(i))
	}
	mustAdd(t, db, jobs...)
	tests := []struct {
		limit int
		want  int
	}{{0, DefaultListLimit}, {MaxListLimit + 500, MaxListLimit}}
	for _, tt := range tests {
		entries, err := db.List(t.Context(), Filter{Limit: tt.limit})
		if err != nil {
			t.Fatalf("List(limit %d): %v", tt.limit, err)
		}
		if len(entries) != tt.want {
			t.Errorf("List(limit %d) returned %d entries, want %d", tt.limit, len(entries), tt.want)
		}
	}
}

func testDelete(t *testing.T, db *DB, _ string) {
	// 501 ids span two DELETE statements; the two present ones sit in different chunks.
	ids := make([]string, deleteChunk+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("missing%d", i)
	}
	ids[0], ids[deleteChunk] = "1a", "1b"
	mustAdd(t, db, deadJob("1a", "otp", store.Critical, t0), deadJob("1b", "otp", store.Critical, t0),
		deadJob("1keep", "otp", store.Critical, t0))

	tests := []struct {
		name string
		ids  []string
		want int
	}{
		{"none", nil, 0},
		{"two of many, across chunks", ids, 2},
		{"again", []string{"1a", "1b"}, 0},
	}
	for _, tt := range tests {
		n, err := db.Delete(t.Context(), tt.ids...)
		if err != nil || n != tt.want {
			t.Errorf("%s: Delete = %d, %v; want %d, nil", tt.name, n, err, tt.want)
		}
	}
	if _, err := db.Get(t.Context(), "1a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(deleted) = %v, want ErrNotFound", err)
	}
	mustGet(t, db, "1keep")
	if n := mustCount(t, db, Filter{}); n != 1 {
		t.Errorf("Count = %d after Delete, want 1", n)
	}
}

func testPurge(t *testing.T, db *DB, _ string) {
	mustAdd(t, db, deadJob("p1", "export", store.Batch, t0+1_000), deadJob("p2", "export", store.Batch, t0+2_000),
		deadJob("p3", "export", store.Batch, t0+3_000))
	tests := []struct {
		olderThan int64
		want      int
		left      int64
	}{
		{t0 + 2_000, 1, 2}, // failed_at < olderThan: p2 at exactly t0+2000 stays
		{t0 + 2_000, 0, 2},
		{t0 + 3_001, 2, 0},
	}
	for _, tt := range tests {
		n, err := db.Purge(t.Context(), tt.olderThan)
		if err != nil || n != tt.want {
			t.Errorf("Purge(%d) = %d, %v; want %d, nil", tt.olderThan, n, err, tt.want)
		}
		if left := mustCount(t, db, Filter{}); left != tt.left {
			t.Errorf("after Purge(%d) Count = %d, want %d", tt.olderThan, left, tt.left)
		}
	}
}

// testPurgeChunks purges more entries than one statement deletes: Purge must go on to the end.
func testPurgeChunks(t *testing.T, db *DB, _ string) {
	const old = 2*purgeChunk + 3
	// One statement makes the rows, each "o<n>" failing at t0.
	_, err := db.sql.ExecContext(t.Context(), `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO failed_jobs (job_id, type, tier, failed_at) SELECT 'o' || i, 'export', 5, $2 FROM n`, old, t0)
	if err != nil {
		t.Fatalf("insert %d old rows: %v", old, err)
	}
	mustAdd(t, db, deadJob("new1", "export", store.Batch, t0+1), deadJob("new2", "export", store.Batch, t0+2))
	n, err := db.Purge(t.Context(), t0+1)
	if err != nil || n != old {
		t.Fatalf("Purge = %d, %v; want %d, nil", n, err, old)
	}
	if left := mustCount(t, db, Filter{}); left != 2 {
		t.Errorf("Count after Purge = %d, want 2", left)
	}
}

func testEntryJob(t *testing.T, db *DB, _ string) {
	mustAdd(t, db, fullJob())
	got := mustGet(t, db, fullJob().ID).Job()
	want := &store.Job{
		ID: "1k9x2mq", Type: "send_password_reset", Tier: store.Critical,
		Payload: []byte(`{"email": "zoë@example.com", "n": [1, 2.5, null]}`),
		State:   store.StateWaiting, MaxAttempts: 5, TimeoutMs: 30_000, BackoffMs: 2_000,
		UniqueKey: "reset:zoë@example.com", UniqueTTLMs: 60_000, RetainMs: 86_400_000,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Entry.Job():\n got  %+v\n want %+v", got, want)
	}
}

func testDBJob(t *testing.T, db *DB, _ string) {
	mustAdd(t, db, fullJob())
	got, err := db.Job(t.Context(), fullJob().ID)
	if err != nil {
		t.Fatalf("Job: %v", err)
	}
	want := fullJob() // as it died, less what the queue does not keep
	want.RunAt, want.LeaseUntil = 0, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DB.Job():\n got  %+v\n want %+v", got, want)
	}
	if _, err := db.Job(t.Context(), "1gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Job(missing) = %v, want ErrNotFound", err)
	}
}

func testOpenTwice(t *testing.T, db *DB, dsn string) {
	mustAdd(t, db, deadJob("1kept", "otp", store.Critical, t0))
	again := openTest(t, dsn)
	if got := mustGet(t, again, "1kept"); got.JobID != "1kept" {
		t.Errorf("second Open sees %q, want the entry added through the first", got.JobID)
	}
	var applied int
	err := again.sql.QueryRowContext(t.Context(),
		"SELECT COUNT(*) FROM "+MigrationsTable+" WHERE version_id > 0").Scan(&applied)
	if err != nil {
		t.Fatalf("read %s: %v", MigrationsTable, err)
	}
	files, err := fs.ReadDir(migrations, "migrations/"+again.backend.String())
	if err != nil {
		t.Fatalf("read embedded migrations: %v", err)
	}
	if applied != len(files) {
		t.Errorf("%s holds %d applied migrations after two Opens, want %d", MigrationsTable, applied, len(files))
	}
}

func testPingClose(t *testing.T, _ *DB, dsn string) {
	db, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := db.Ping(t.Context()); err == nil {
		t.Errorf("Ping after Close succeeded, want an error")
	}
	if _, err := db.Count(t.Context(), Filter{}); err == nil {
		t.Errorf("Count after Close succeeded, want an error")
	}
}
