package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned (wrapped) when a job id is not in the store.
var ErrNotFound = errors.New("job not found")

// ErrClosed is returned (wrapped) by a store used after Close.
var ErrClosed = errors.New("store closed")

// Store keeps jobs and moves them through their states. It is the only boundary between the
// engine and storage; the embedded (SQLite) and Redis stores implement it, and the conformance
// suite in package storetest checks that they behave alike.
//
// Every method that changes state does so atomically: a crash leaves each job wholly before or
// wholly after the change. Implementations are safe for concurrent use by many goroutines and,
// where the backend allows it, many processes.
type Store interface {
	// Enqueue stores jobs and returns one result per job, in order. The jobs of one tier are
	// stored in one atomic step (on a Redis Cluster, tiers live on different nodes, so a call
	// spanning tiers is atomic per tier). A job
	// whose UniqueKey is held by a job enqueued less than its UniqueTTLMs ago is not stored: its
	// result names the holder's id with Duplicate set. A job with RunAt <= now is waiting,
	// otherwise delayed. Enqueue wakes a waiter of each tier that received a runnable job, and
	// of each tier whose earliest delayed job became earlier.
	Enqueue(ctx context.Context, now int64, jobs []*Job) ([]EnqueueResult, error)

	// Fetch claims up to req.Limit runnable jobs of req.Tier, first come first served: it first makes
	// delayed jobs with RunAt <= req.Now waiting, then marks the claimed jobs active with
	// StartedAt = req.Now and LeaseUntil = req.Now + req.LeaseMs. A paused tier yields no jobs.
	// With req.Cap > 0, it never lets the tier's active count (across every process) exceed Cap.
	Fetch(ctx context.Context, req FetchRequest) (FetchResult, error)

	// Wait blocks until tier may have runnable work (a job enqueued, handed back or rescued,
	// the tier resumed), until d has passed, or until ctx is done. It may return early without
	// cause; callers fetch after it returns. A wake-up signalled while nobody waits is kept
	// (level-triggered): the next Wait on that tier returns at once, so a job enqueued between
	// a caller's empty Fetch and its Wait is never missed. It returns ctx's error when ctx is
	// done, else nil.
	Wait(ctx context.Context, tier Tier, d time.Duration) error

	// Ack records the outcome of runs, in one atomic step per job (a batch may be applied
	// job by job). An ack for a job that is not active (it was rescued, retried or deleted
	// meanwhile), or whose StartedAt names another run, is ignored. An ack that ends an active
	// run wakes a waiter of the tier while the tier has waiting jobs, so a fetcher held back by
	// FetchRequest.Cap, in any process, claims the freed place at once.
	Ack(ctx context.Context, acks []Ack) error

	// ExtendLeases sets LeaseUntil = until on those of ids that are still active in tier.
	ExtendLeases(ctx context.Context, tier Tier, ids []string, until int64) error

	// Rescue returns active jobs of tier whose LeaseUntil < now to waiting (RunAt = now)
	// without spending an attempt, wakes the tier, and returns how many it moved.
	Rescue(ctx context.Context, tier Tier, now int64) (int, error)

	// Dead returns up to limit failed jobs of tier that still wait to be moved to the
	// dead-letter queue, oldest first.
	Dead(ctx context.Context, tier Tier, limit int) ([]*Job, error)

	// Forget deletes the given failed jobs of tier once the dead-letter queue holds them.
	// Ids that are missing or not failed are ignored.
	Forget(ctx context.Context, tier Tier, ids []string) error

	// Get returns the job with id, or an error wrapping ErrNotFound.
	Get(ctx context.Context, id string) (*Job, error)

	// SetPaused pauses or resumes tier for every process sharing the store. Resuming wakes
	// the tier's waiters. A paused tier still accepts enqueues.
	SetPaused(ctx context.Context, tier Tier, paused bool) error

	// Counts returns every tier's counts, indexed by Tier.Index(), without scanning jobs.
	Counts(ctx context.Context) ([NumTiers]Counts, error)

	// Clean deletes completed jobs of tier whose FinishedAt + RetainMs <= now, and all but
	// the keep most recently finished completed jobs (keep < 0: no count limit). It returns
	// how many it deleted.
	Clean(ctx context.Context, tier Tier, now int64, keep int) (int, error)

	// Close releases the store's resources. Blocked Wait calls return.
	Close() error
}

// EnqueueResult is the outcome of enqueueing one job.
type EnqueueResult struct {
	ID        string // the stored job's id, or with Duplicate the id of the job holding the key
	Duplicate bool   // the job's UniqueKey was held: nothing was stored
}

// FetchRequest asks for work from one tier.
type FetchRequest struct {
	Tier    Tier
	Limit   int    // most jobs to claim, at least 1
	Now     int64  // the current time
	LeaseMs int64  // lease length for the claimed jobs
	Cap     int    // tier-wide cap on active jobs across all processes; 0 means none
	Owner   string // the claiming process, for operators; may be empty
}

// FetchResult is what a Fetch claimed.
type FetchResult struct {
	Jobs      []*Job // claimed jobs, now active
	NextRunAt int64  // RunAt of the tier's earliest delayed job after the fetch; 0 if none
	Paused    bool   // the tier is paused: nothing was claimed
}

// AckKind says how a run ended.
type AckKind uint8

// The outcomes of a run.
const (
	// AckComplete: the job succeeded. It becomes completed with FinishedAt = Now and Result,
	// or is deleted at once when its RetainMs is 0. Counts.Completed grows by one.
	AckComplete AckKind = iota + 1
	// AckRetry: the run failed and will be retried. Attempts grows by one; the job becomes
	// delayed until RunAt with LastError = Error.
	AckRetry
	// AckSnooze: run again at RunAt without spending an attempt; the job becomes delayed.
	AckSnooze
	// AckRelease: hand the job back unrun (shutdown): waiting again at once, ahead of jobs that
	// became runnable after it, with no attempt spent.
	AckRelease
	// AckFail: the job is dead. Attempts grows by one, LastError = Error, FinishedAt = Now,
	// state failed until it is moved to the dead-letter queue (see Dead and Forget).
	// Counts.Failed grows by one.
	AckFail
)

// Ack is the outcome of one run of one job.
type Ack struct {
	Kind   AckKind
	ID     string
	Tier   Tier
	Now    int64  // when the run ended
	RunAt  int64  // AckRetry, AckSnooze: when to run next
	Error  string // AckRetry, AckFail: what went wrong
	Result []byte // AckComplete: optional result to keep
	// StartedAt fences the ack to one run: when non-zero, the ack is ignored unless the job
	// is active with this StartedAt (as Fetch set it). A worker whose lease lapsed, and whose
	// job was rescued and claimed again, cannot record an outcome for the new run. Zero: any.
	StartedAt int64
}
