package slaq_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// FuzzEnqueue feeds Enqueue arbitrary job types, raw payloads and option values on the
// embedded store: it returns an id or an error wrapping slaq.ErrInvalid, never panics, and
// stores nothing when it fails; a stored job reads back with the payload it was given.
func FuzzEnqueue(f *testing.F) {
	f.Add("send_otp", []byte(`{"email":"a@b.c"}`), 1, int64(0), int64(0), 0, int64(0), "", int64(0))
	f.Add("", []byte(`{}`), 3, int64(0), int64(0), 0, int64(0), "", int64(0))
	f.Add("x\x00y", []byte(`null`), 0, int64(-1), int64(-5), -1, int64(-2), "k", int64(-1))
	f.Add("report", []byte("{\"a\":\xff}"), 6, int64(10), int64(1), 1, int64(1), "\xff", int64(1))
	f.Add("report", []byte(`[1,2`), 5, int64(1<<40), int64(1<<50), 1<<30, int64(-1), "webhook-1", int64(3600000))
	st, err := sqlitestore.Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"), sqlitestore.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	c, err := slaq.New(st, slaq.Config{MaxPayloadBytes: 4096})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	total := func(t *testing.T) int64 {
		m, err := c.Metrics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, tm := range m {
			n += tm.Total
		}
		return n
	}
	f.Fuzz(func(t *testing.T, typ string, payload []byte, tier int, delayMs, timeoutMs int64, attempts int,
		backoffMs int64, uniqueKey string, retentionMs int64) {
		opts := []slaq.Option{slaq.WithTier(slaq.Tier(tier))}
		if delayMs != 0 {
			opts = append(opts, slaq.Delay(time.Duration(delayMs)*time.Millisecond))
		}
		if timeoutMs != 0 {
			opts = append(opts, slaq.Timeout(time.Duration(timeoutMs)*time.Millisecond))
		}
		if attempts != 0 {
			opts = append(opts, slaq.MaxAttempts(attempts))
		}
		if backoffMs != 0 {
			opts = append(opts, slaq.Backoff(time.Duration(backoffMs)*time.Millisecond))
		}
		if uniqueKey != "" {
			opts = append(opts, slaq.Unique(uniqueKey, time.Duration(retentionMs)*time.Millisecond))
		}
		if retentionMs != 0 {
			opts = append(opts, slaq.Retention(time.Duration(retentionMs)*time.Millisecond))
		}
		before := total(t)
		id, err := c.Enqueue(ctx, typ, json.RawMessage(payload), opts...)
		if err != nil {
			if !errors.Is(err, slaq.ErrInvalid) {
				t.Fatalf("Enqueue failed with %v: want an error wrapping ErrInvalid", err)
			}
			if after := total(t); after != before {
				t.Fatalf("a refused Enqueue (%v) stored %d jobs", err, after-before)
			}
			return
		}
		j, err := c.Job(ctx, id)
		if err != nil {
			t.Fatalf("job %s accepted but not readable: %v", id, err)
		}
		if uniqueKey == "" && (j.Type != typ || string(j.Payload) != string(payload)) { // a duplicate key returns the first job
			t.Fatalf("stored %q %q; enqueued %q %q", j.Type, j.Payload, typ, payload)
		}
	})
}
