package redisstore

import (
	"bytes"
	"os"
	"reflect"
	"testing"

	"github.com/slaqhq/slaq/store"
)

func TestRecordRoundTrip(t *testing.T) {
	full := &store.Job{ID: store.NewID(store.High, 1), Type: "send|email", Tier: store.High,
		Payload: []byte(`{"a":"x|y|z"}`), State: store.StateFailed, Attempts: 2, MaxAttempts: 3,
		TimeoutMs: 1, BackoffMs: 2, RunAt: 3, CreatedAt: 4, StartedAt: 5, FinishedAt: 6, LeaseUntil: 7,
		LastError: "boom | bang", UniqueKey: "k|1", UniqueTTLMs: 8, RetainMs: 9, Result: []byte("r|")}
	minimal := &store.Job{ID: store.NewID(store.Batch, 1), Tier: store.Batch, State: store.StateWaiting}
	for _, j := range []*store.Job{full, minimal} {
		got, err := decodeRecord(j.ID, encodeRecord(j, j.State))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, j) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, j)
		}
	}
	for _, bad := range []string{"", "w|1|2", "w|x||||||||||||||", "w||||||||||||99||||ab"} {
		if _, err := decodeRecord(full.ID, bad); err == nil {
			t.Errorf("decodeRecord(%q) accepted a malformed record", bad)
		}
	}
}

// TestRecordDocExample keeps the record example in the package doc true.
func TestRecordDocExample(t *testing.T) {
	j := &store.Job{Type: "test_job", Payload: []byte(`{"n":1}`), MaxAttempts: 3, TimeoutMs: 10_000,
		BackoffMs: 2_000, RunAt: 1_700_000_000_000, CreatedAt: 1_700_000_000_000}
	const want = `w||1700000000000|||||3|10000|2000|1700000000000||8||||test_job{"n":1}`
	if got := encodeRecord(j, store.StateWaiting); got != want {
		t.Fatalf("record\n got %s\nwant %s (update doc.go too)", got, want)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte(want)) {
		t.Fatal("the record example in doc.go is out of date")
	}
}
