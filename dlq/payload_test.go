package dlq

import (
	"bytes"
	"testing"

	"github.com/slaqhq/slaq/store"
)

// TestPayloadColumns checks where each payload goes: text alone when it is UTF-8, else the
// exact bytes in payload_bytes and a readable copy in payload; re-adding a job with a plain
// payload clears payload_bytes.
func TestPayloadColumns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		payload   []byte
		wantText  string
		wantBytes []byte // nil: payload_bytes is NULL
	}{
		{"JSON", []byte(`{"to":"zoë@example.com"}`), `{"to":"zoë@example.com"}`, nil},
		{"empty", nil, "", nil},
		{"not UTF-8", oddPayload, "{\"name\": \"caf\uFFFD\", \"raw\": \"\uFFFD\"}", oddPayload},
	}
	for _, b := range testBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, b.dsn(t))
			for _, tt := range tests {
				j := deadJob("1"+tt.name, "otp", store.Critical, t0)
				j.Payload = tt.payload
				mustAdd(t, db, j)
				text, raw := payloadColumns(t, db, j.ID)
				if text != tt.wantText || !bytes.Equal(raw, tt.wantBytes) || (raw == nil) != (tt.wantBytes == nil) {
					t.Errorf("%s: payload = %q, payload_bytes = %q, want %q and %q", tt.name, text, raw, tt.wantText, tt.wantBytes)
				}
				if e := mustGet(t, db, j.ID); !bytes.Equal(e.Payload, tt.payload) {
					t.Errorf("%s: Get payload = %q, want %q", tt.name, e.Payload, tt.payload)
				}
			}
			j := deadJob("1not UTF-8", "otp", store.Critical, t0)
			j.Payload = []byte(`{"fixed":true}`)
			mustAdd(t, db, j)
			if text, raw := payloadColumns(t, db, j.ID); text != `{"fixed":true}` || raw != nil {
				t.Errorf("re-added: payload = %q, payload_bytes = %q, want the new text and NULL", text, raw)
			}
			if e := mustGet(t, db, j.ID); string(e.Payload) != `{"fixed":true}` {
				t.Errorf("re-added: Get payload = %q", e.Payload)
			}
		})
	}
}

// payloadColumns reads a row's payload and payload_bytes as stored.
func payloadColumns(t *testing.T, db *DB, jobID string) (string, []byte) {
	t.Helper()
	var text string
	var raw []byte
	err := db.sql.QueryRowContext(t.Context(), "SELECT payload, payload_bytes FROM failed_jobs WHERE job_id = $1", jobID).
		Scan(&text, &raw)
	if err != nil {
		t.Fatalf("read the payload columns of %q: %v", jobID, err)
	}
	return text, raw
}
