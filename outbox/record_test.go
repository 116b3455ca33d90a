package outbox

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// viaJSON is what decoding the json.Marshal encoding of j gives: the reference appendRecord
// must match.
func viaJSON(t testing.TB, j *store.Job) (*store.Job, error) {
	rec := *j
	rec.Payload = nil
	enc, err := json.Marshal(&rec)
	if err != nil {
		return nil, err
	}
	return decodeJob(enc, j.Payload)
}

func checkRecord(t testing.TB, j *store.Job) {
	t.Helper()
	want, wantErr := viaJSON(t, j)
	enc, err := appendRecord([]byte("prefix"), j)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("appendRecord error %v, json.Marshal's %v", err, wantErr)
	}
	if err != nil {
		return
	}
	if string(enc[:6]) != "prefix" {
		t.Fatalf("appendRecord overwrote what it appended to: %q", enc)
	}
	got, err := decodeJob(enc[6:], j.Payload)
	if err != nil {
		t.Fatalf("decode %s: %v", enc[6:], err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("record %s decodes to\n%+v\nwant (through encoding/json)\n%+v", enc[6:], got, want)
	}
}

// The outbox's record encoder decodes to what encoding/json's round trip gives, for every
// field and for strings that need escaping.
func TestAppendRecord(t *testing.T) {
	t.Parallel()
	full := store.Job{ID: "2ABCDEFGHJK0123456789AB", Type: "process_payment", Tier: store.High, Payload: []byte(`{"p":1}`),
		State: store.StateDelayed, Attempts: 2, MaxAttempts: 5, TimeoutMs: 60000, BackoffMs: 2000, RunAt: 1_800_000_000_000,
		CreatedAt: 1_799_999_999_000, StartedAt: 1, FinishedAt: 2, LeaseUntil: 3, LastError: "boom", UniqueKey: "pay-42",
		UniqueTTLMs: 86_400_000, RetainMs: 3_600_000}
	for _, tc := range []struct {
		name string
		edit func(j *store.Job)
	}{
		{"every field", func(*store.Job) {}},
		{"zero fields", func(j *store.Job) { *j = store.Job{ID: j.ID, Type: "t", Tier: store.Batch, State: store.StateWaiting} }},
		{"escapes", func(j *store.Job) { j.UniqueKey = "a\"b\\c\nd\re\tf\x00g\x1fh/<>&\u2028é日本" }},
		{"negative numbers", func(j *store.Job) { j.RunAt, j.BackoffMs = -5, -1 }},
		{"invalid UTF-8 goes through encoding/json", func(j *store.Job) { j.LastError = "bad \xff byte" }},
		{"a result goes through encoding/json", func(j *store.Job) { j.Result = []byte(`{"ok":true}`) }},
		{"an invalid tier fails as encoding/json does", func(j *store.Job) { j.Tier = 9 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := full
			tc.edit(&j)
			checkRecord(t, &j)
		})
	}
}

func FuzzAppendRecord(f *testing.F) {
	f.Add("2ABCDEFGHJK0123456789AB", "send_email", uint8(2), "waiting", int64(60000), "", "key")
	f.Add("1X", "t\"y\\pe", uint8(1), "delayed", int64(-1), "err\n\x00", "\xff")
	f.Fuzz(func(t *testing.T, id, typ string, tier uint8, state string, n int64, lastErr, unique string) {
		checkRecord(t, &store.Job{ID: id, Type: typ, Tier: store.Tier(tier), State: store.State(state), Attempts: int(n % 100),
			MaxAttempts: 3, TimeoutMs: n, BackoffMs: -n, RunAt: n, CreatedAt: n / 2, LastError: lastErr, UniqueKey: unique,
			UniqueTTLMs: n, RetainMs: n})
	})
}
