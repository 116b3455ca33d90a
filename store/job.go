package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Tier is an SLA tier. Lower numbers are more urgent: Critical is 1, Batch is 5.
type Tier uint8

// The five tiers, most urgent first.
const (
	Critical Tier = 1 // pickup SLA < 1 s: password resets, OTP, 2FA
	High     Tier = 2 // pickup SLA < 5 s: payments, notifications, webhooks
	Medium   Tier = 3 // pickup SLA < 30 s: transactions, emails, wallet syncs
	Low      Tier = 4 // pickup SLA < 5 min: reports, exports, analytics
	Batch    Tier = 5 // background: cleanup, archives, bulk emails
)

// NumTiers is the number of tiers.
const NumTiers = 5

// Tiers lists every tier, most urgent first.
var Tiers = [NumTiers]Tier{Critical, High, Medium, Low, Batch}

var tierNames = [NumTiers + 1]string{"", "CRITICAL", "HIGH", "MEDIUM", "LOW", "BATCH"}

// String returns the tier's upper-case name, e.g. "CRITICAL".
func (t Tier) String() string {
	if t.Valid() {
		return tierNames[t]
	}
	return "Tier(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is one of the five tiers.
func (t Tier) Valid() bool { return t >= Critical && t <= Batch }

// CheckIDTier reports why j cannot be stored, or nil: every Store's Enqueue requires a
// non-empty id whose tier digit ([TierOfID]) is j's Tier.
func CheckIDTier(j *Job) error {
	if j.ID == "" {
		return errors.New("empty job id")
	}
	if t, err := TierOfID(j.ID); err != nil || t != j.Tier {
		return fmt.Errorf("job %q: its id does not name its tier %s", j.ID, j.Tier)
	}
	return nil
}

// Index returns t's position in [Tiers] (0 for Critical). It panics on an invalid tier.
func (t Tier) Index() int {
	if !t.Valid() {
		panic("store: invalid tier " + strconv.Itoa(int(t)))
	}
	return int(t) - 1
}

// ParseTier reads a tier by name (case-insensitive, e.g. "critical") or number ("1".."5").
func ParseTier(s string) (Tier, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 1 && n <= NumTiers { // checked before the conversion: Tier(257) would be 1
			return Tier(n), nil
		}
		return 0, fmt.Errorf("unknown tier %q: want 1-5 or CRITICAL, HIGH, MEDIUM, LOW, BATCH", s)
	}
	for _, t := range Tiers {
		if strings.EqualFold(s, tierNames[t]) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown tier %q: want 1-5 or CRITICAL, HIGH, MEDIUM, LOW, BATCH", s)
}

// MarshalText encodes the tier as its name.
func (t Tier) MarshalText() ([]byte, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("invalid tier %d", t)
	}
	return []byte(t.String()), nil
}

// UnmarshalText accepts a tier name or number, as [ParseTier] does.
func (t *Tier) UnmarshalText(b []byte) error {
	v, err := ParseTier(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// State is where a job is in its life.
type State string

// Job states. Paused is a tier condition, not a job state.
const (
	StateWaiting   State = "waiting"   // runnable, waiting for a worker
	StateDelayed   State = "delayed"   // scheduled for later, or backing off before a retry
	StateActive    State = "active"    // a worker runs it under a lease
	StateCompleted State = "completed" // finished successfully (kept for its retention)
	StateFailed    State = "failed"    // attempts exhausted or permanent error: dead-lettered
)

// Job is the stored record of one job. The engine fills every field on enqueue; stores keep
// them as given and change only the fields their operations name.
type Job struct {
	ID          string // unique, made by NewID at enqueue: its first character is the tier digit
	Type        string // handler name, e.g. "send_password_reset"
	Tier        Tier
	Payload     []byte // JSON document
	State       State
	Attempts    int   // attempts spent: failed runs so far (a crash or hand-back spends none)
	MaxAttempts int   // total runs allowed, at least 1
	TimeoutMs   int64 // how long one run may take
	BackoffMs   int64 // base backoff before retry n: BackoffMs * 2^(n-1), jittered
	RunAt       int64 // when the job becomes (or became) runnable
	CreatedAt   int64 // when it was enqueued
	StartedAt   int64 // when its latest run started (0 before the first)
	FinishedAt  int64 // when it completed or failed (0 before)
	LeaseUntil  int64 // while active: when its lease expires unless renewed
	LastError   string
	UniqueKey   string // optional idempotency key; empty means none
	UniqueTTLMs int64  // how long UniqueKey blocks duplicates, from enqueue
	RetainMs    int64  // how long to keep the record after completion; 0 deletes it at once
	Result      []byte // optional handler result, kept with a completed job
}

// Counts are one tier's job counts. Waiting, Active and Delayed are current; Completed and
// Failed are running totals since the store was created. Reading them never scans jobs.
type Counts struct {
	Waiting   int64 `json:"waiting"`
	Active    int64 `json:"active"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	Delayed   int64 `json:"delayed"`
	Paused    bool  `json:"paused"`
}

// Total is the sum of every count, as the guide's metrics report it.
func (c Counts) Total() int64 { return c.Waiting + c.Active + c.Completed + c.Failed + c.Delayed }
