package dlq

import (
	"encoding/json"

	"github.com/slaqhq/slaq/store"
)

// Entry is one dead job as the dead-letter queue holds it: everything an operator needs to
// understand the failure and everything [Entry.Job] needs to run the job again. Times are Unix
// milliseconds, durations milliseconds.
type Entry struct {
	ID          int64           `json:"id"`            // row id, assigned by the database
	JobID       string          `json:"job_id"`        // the job's id, unique in the table
	Type        string          `json:"type"`          // handler name, e.g. "send_password_reset"
	Tier        store.Tier      `json:"tier"`          // encoded as its name, e.g. "CRITICAL"
	Payload     json.RawMessage `json:"payload"`       // the job's JSON document as given; null if none
	Error       string          `json:"error"`         // the last error's full text, a panic's stack included
	Attempts    int             `json:"attempts"`      // attempts spent
	MaxAttempts int             `json:"max_attempts"`  // total runs allowed
	TimeoutMs   int64           `json:"timeout_ms"`    // how long one run may take
	BackoffMs   int64           `json:"backoff_ms"`    // base backoff before a retry
	UniqueKey   string          `json:"unique_key"`    // idempotency key; empty means none
	UniqueTTLMs int64           `json:"unique_ttl_ms"` // how long UniqueKey blocks duplicates
	RetainMs    int64           `json:"retain_ms"`     // how long to keep the job once completed
	CreatedAt   int64           `json:"created_at"`    // when the job was enqueued
	StartedAt   int64           `json:"started_at"`    // when its last run started; 0 if it never ran
	FailedAt    int64           `json:"failed_at"`     // when it died: the job's FinishedAt
}

// Job rebuilds the job for re-enqueueing with fresh attempts: same id, type, tier, payload, max
// attempts, timeout, backoff, unique key and its TTL, and retention; no attempts spent, state
// waiting, no error. Its timestamps (RunAt, CreatedAt, StartedAt, FinishedAt) are zero for the
// engine to stamp on enqueue.
func (e *Entry) Job() *store.Job {
	var payload []byte
	if len(e.Payload) > 0 {
		payload = append([]byte(nil), e.Payload...)
	}
	return &store.Job{
		ID:          e.JobID,
		Type:        e.Type,
		Tier:        e.Tier,
		Payload:     payload,
		State:       store.StateWaiting,
		MaxAttempts: e.MaxAttempts,
		TimeoutMs:   e.TimeoutMs,
		BackoffMs:   e.BackoffMs,
		UniqueKey:   e.UniqueKey,
		UniqueTTLMs: e.UniqueTTLMs,
		RetainMs:    e.RetainMs,
	}
}

// List limits.
const (
	// DefaultListLimit is how many entries [DB.List] returns when Filter.Limit is 0 or less: 100.
	DefaultListLimit = 100
	// MaxListLimit is the most entries one [DB.List] returns; a larger Filter.Limit is
	// lowered to it: 1000.
	MaxListLimit = 1000
)

// Filter selects entries for [DB.List] and [DB.Count]. The zero Filter selects every entry.
type Filter struct {
	Type   string     // only entries of this job type; "" (the default) means any
	Tier   store.Tier // only entries of this tier; 0 (the default) means any
	Since  int64      // only entries with FailedAt >= Since (Unix ms); 0 (the default) means no bound
	Until  int64      // only entries with FailedAt < Until (Unix ms); 0 (the default) means no bound
	Limit  int        // List only: most entries to return; default DefaultListLimit, at most MaxListLimit
	Offset int        // List only: entries to skip, for paging; default 0
}
