// Package slaq is an SLA-tiered background job queue.
//
// Jobs go to one of five tiers — CRITICAL (pickup < 1 s), HIGH (< 5 s), MEDIUM (< 30 s),
// LOW (< 5 min) and BATCH (background) — and every tier has workers of its own, so a weekly
// export or a bulk mailing can never delay a password reset or a payment webhook. Two forms of
// sharing are on by default: upward help (an idle worker of a less urgent tier runs urgent jobs
// when the urgent tier's workers are all busy) and elastic lending (idle workers of an urgent
// tier run less urgent jobs, while a Reserve of them stays idle and only for borrowers whose
// recent runs are short enough to give the worker back within the lender's SLA target).
//
// A [Client] enqueues jobs and, when it has a [Handler], runs them. Jobs live in a
// [store.Store]: the embedded SQLite store (package store/sqlitestore) or Redis
// (store/redisstore). Jobs whose attempts are exhausted move to a SQL dead-letter queue
// (package dlq). Every job event reaches [Observer]s through one stream, off the hot path.
// Cron [Schedule]s (Config.Schedules) enqueue jobs at their ticks, once per tick however many
// processes run them.
//
// Delivery is at least once: a job runs once per attempt unless its process dies mid-run, in
// which case it runs again after its lease expires, without spending an attempt.
//
// Settings use one convention: a zero value means the default, and [None] means zero itself
// where zero is meaningful (no workers, no retention, no backoff).
//
// Times are milliseconds wherever they are stored.
package slaq

import (
	"log/slog"
	"time"

	"github.com/slaqhq/slaq/store"
)

// Tier is an SLA tier; see [store.Tier].
type Tier = store.Tier

// The five tiers, most urgent first.
const (
	Critical = store.Critical
	High     = store.High
	Medium   = store.Medium
	Low      = store.Low
	Batch    = store.Batch
)

// NumTiers is the number of tiers.
const NumTiers = store.NumTiers

// Tiers lists every tier, most urgent first.
var Tiers = store.Tiers

// ParseTier reads a tier by name (case-insensitive) or number.
func ParseTier(s string) (Tier, error) { return store.ParseTier(s) }

// Job is a job as handlers and operators see it; see [store.Job]. A handler may set Result
// to keep a result with the completed job.
type Job = store.Job

// State is where a job is in its life; see [store.State].
type State = store.State

// Clock tells the time. Tests inject one; the default is the system clock.
type Clock interface {
	Now() time.Time
}

// Logger is the logging the client needs; *slog.Logger satisfies it.
type Logger interface {
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

var _ Logger = (*slog.Logger)(nil)

func ms(t time.Time) int64 { return t.UnixMilli() }
