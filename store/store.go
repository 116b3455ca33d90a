package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned (wrapped) when a job id is not in the store. Package slaq and
// package dlq re-export this very sentinel, so one errors.Is check covers a job missing from
// the store, the client or the dead-letter queue.
var ErrNotFound = errors.New("job not found")

// ErrClosed is returned (wrapped) by a store used after Close, Wait included.
var ErrClosed = errors.New("store closed")

// ErrNotCancellable is returned (wrapped) by Cancel for a job that exists but is neither
// waiting nor delayed (it runs, finished or failed).
var ErrNotCancellable = errors.New("job is not waiting or delayed")

// Store keeps jobs and moves them through their states. It is the only boundary between the
// engine and storage; the embedded (SQLite) and Redis stores implement it, and the conformance
// suite in package storetest checks that they behave alike.
//
// Every method that changes state does so atomically: a crash leaves each job wholly before or
// wholly after the change. Implementations are safe for concurrent use by many goroutines and,
// where the backend allows it, many processes.
//
// A job's tier is the one its id encodes ([TierOfID]); Job.Tier must agree with it (Enqueue
// rejects a job whose Tier and id disagree), and every method finds a job's tier from its id.
type Store interface {
	// Enqueue stores jobs and returns one result per job, in order. The jobs of one tier are
	// stored in one atomic step (on a Redis Cluster, tiers live on different nodes, so a call
	// spanning tiers is atomic per tier). Enqueue is idempotent on job id: a job whose id the
	// store already holds (in any state) is not stored again, and its result has ID = that id
	// and Duplicate set. A job whose UniqueKey is held in its tier (unique keys are scoped per
	// tier and key) by a job enqueued less than that job's UniqueTTLMs ago is not stored: its
	// result names the holder's id with Duplicate set. A unique key is released when its TTL
	// passes or when its holder is cancelled, and at no other time: completion, failure and
	// dead-lettering keep it held. A job with RunAt <= now is waiting, otherwise delayed.
	// Enqueue wakes a waiter of each tier that received a runnable job, and of each tier whose
	// earliest delayed job became earlier. A job whose Tier disagrees with its id is an error
	// and nothing of its tier is stored.
	Enqueue(ctx context.Context, now int64, jobs []*Job) ([]EnqueueResult, error)

	// Fetch claims up to req.Limit runnable jobs of req.Tier, first come first served: it first makes
	// delayed jobs with RunAt <= req.Now waiting, then marks the claimed jobs active with
	// LeaseUntil = req.Now + req.LeaseMs and StartedAt = req.Now, or one more than the job's
	// previous StartedAt when that is not earlier than req.Now, so that every run of a job has
	// its own StartedAt (the fence of Ack). A paused tier yields no jobs. With req.Cap > 0, it
	// never lets the tier's active count (across every process) exceed Cap. A Limit below 1 is
	// an error.
	Fetch(ctx context.Context, req FetchRequest) (FetchResult, error)

	// Wait blocks until tier may have runnable work (a job enqueued, handed back or rescued,
	// the tier resumed), until d has passed, or until ctx is done. It may return early without
	// cause; callers fetch after it returns. A wake-up signalled while nobody waits is kept
	// (level-triggered): the next Wait on that tier returns at once, so a job enqueued between
	// a caller's empty Fetch and its Wait is never missed. It returns ctx's error when ctx is
	// done, an error wrapping ErrClosed when the store is or becomes closed, else nil.
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

	// Failed returns up to limit failed jobs of tier that still wait to be moved to the
	// dead-letter queue, oldest first.
	Failed(ctx context.Context, tier Tier, limit int) ([]*Job, error)

	// DeleteFailed deletes those of ids that are failed jobs of tier (the dead-letter queue
	// holds them now) and returns the ids it deleted, in the order given. Ids that are missing
	// or in another state (e.g. retried meanwhile) are left alone and not returned, so when
	// several processes move the same jobs, each id is returned to exactly one of them.
	DeleteFailed(ctx context.Context, tier Tier, ids []string) ([]string, error)

	// Get returns the job with id, or an error wrapping ErrNotFound.
	Get(ctx context.Context, id string) (*Job, error)

	// List returns one page of req.Tier's jobs in req.State, in the order of that state (see
	// ListRequest), starting after req.Cursor. It costs O(log n + page) on Redis.
	List(ctx context.Context, req ListRequest) (ListPage, error)

	// Cancel deletes the waiting or delayed job with id and releases its unique key. It
	// returns an error wrapping ErrNotFound when the job is missing, or ErrNotCancellable
	// when it is in another state (nothing changes then).
	Cancel(ctx context.Context, id string) error

	// SetPaused pauses or resumes tier for every process sharing the store. Resuming wakes
	// the tier's waiters. A paused tier still accepts enqueues.
	SetPaused(ctx context.Context, tier Tier, paused bool) error

	// Counts returns every tier's counts, indexed by Tier.Index(), without scanning jobs.
	Counts(ctx context.Context) ([NumTiers]Counts, error)

	// Clean enforces retention in req.Tier, deleting at most req.Limit jobs (see CleanRequest),
	// and says how many it deleted of each kind. Running totals in Counts are unchanged.
	Clean(ctx context.Context, req CleanRequest) (CleanResult, error)

	// Once claims the single slot named key for ttlMs: it returns true for exactly one caller
	// per key (across every process sharing the store) until ttlMs has passed since the
	// winning claim, and false for every other caller meanwhile; once ttlMs has passed the
	// next caller wins again. It is what lets replicas do a thing once per window without a
	// leader (an alert per window, one purge round, cron bookkeeping). now is the caller's
	// clock; the embedded store measures the ttl on it, the Redis store on the server's clock
	// (see each store's doc). Keys share one namespace per store, apart from jobs' unique
	// keys; callers scope them by purpose ("alert:...", "purge:..."). An empty key or a ttlMs
	// below 1 is an error.
	Once(ctx context.Context, key string, now, ttlMs int64) (won bool, err error)

	// SetRateLimit sets, changes or (with Rate 0) removes the limit on how often jobs of
	// l.Type start in l.Tier, for every process sharing the store, from the next Fetch on.
	// Limits are scoped per (tier, type): the same type in two tiers has two limits. Changing
	// a limit keeps the type's schedule (its next free slot). Rate < 0, PeriodMs < 1 with
	// Rate > 0, Burst < 0 or an empty Type is an error.
	SetRateLimit(ctx context.Context, l RateLimit) error

	// RateLimits returns tier's limits, by type, with each one's next free slot as of now.
	RateLimits(ctx context.Context, tier Tier, now int64) ([]RateLimitState, error)

	// Ping checks that the store answers, e.g. for health checks and to notice recovery.
	Ping(ctx context.Context) error

	// Close releases the store's resources. Blocked Wait calls return.
	Close() error
}

// EnqueueResult is the outcome of enqueueing one job.
type EnqueueResult struct {
	// ID is the stored job's id; with Duplicate, the id of the job that holds the unique key,
	// or the job's own id when the store already held that id.
	ID string
	// Duplicate reports that nothing was stored: the id was already stored, or the job's
	// UniqueKey was held.
	Duplicate bool
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
	// HeldUntil is the earliest time a job this tier's rate limits hold back may start
	// (its type's next free slot); 0 when none is held. A fetcher wakes then.
	HeldUntil int64
	// Deferred names the types, sorted, whose rate limit held back runnable jobs in this
	// fetch while it had room for them: one deferral per type per fetch.
	Deferred []string
}

// RateLimit limits how often jobs of one type start in one tier, across every process
// sharing the store: at most Rate starts in any window of PeriodMs, plus Burst. It is a
// GCRA decided inside Fetch on the fetch's clock (req.Now): one start every PeriodMs/Rate
// ms, with up to Burst starts ahead of that schedule after an idle time. A job held back
// stays waiting, keeps its place among its type's jobs, spends no attempt and holds no
// worker; other types of the tier are not held up by it.
type RateLimit struct {
	Tier     Tier
	Type     string
	Rate     int   // starts per period; 0 removes the limit
	PeriodMs int64 // the window, ms
	Burst    int   // starts allowed beyond Rate in one window, after an idle time; default 0
}

// RateLimitState is a limit and where its schedule stands.
type RateLimitState struct {
	RateLimit
	// NextFreeAt is the earliest time the next job of the type may start (the now asked
	// about when a start is free at once).
	NextFreeAt int64
}

// Validate reports what is wrong with l, or nil.
func (l RateLimit) Validate() error {
	switch {
	case !l.Tier.Valid():
		return fmt.Errorf("rate limit: invalid tier %d", l.Tier)
	case l.Type == "":
		return errors.New("rate limit: empty job type")
	case l.Rate < 0 || l.Burst < 0:
		return fmt.Errorf("rate limit %s/%s: rate %d and burst %d must not be negative", l.Tier, l.Type, l.Rate, l.Burst)
	case l.Rate > 0 && l.PeriodMs < 1:
		return fmt.Errorf("rate limit %s/%s: period %d ms, want at least 1", l.Tier, l.Type, l.PeriodMs)
	}
	return nil
}

// GCRA returns the limit's emission interval (ms between steady starts) and tolerance (how
// far ahead of that schedule a start may come), the numbers both stores decide with.
func (l RateLimit) GCRA() (interval, tolerance float64) {
	interval = float64(l.PeriodMs) / float64(l.Rate)
	return interval, interval * float64(l.Burst)
}

// AckKind says how a run ended.
type AckKind uint8

// The outcomes of a run.
const (
	// AckComplete: the job succeeded. It becomes completed with FinishedAt = Now and Result,
	// or is deleted at once when its RetainMs is 0. Counts.Completed grows by one. With
	// KeepCompleted > 0, the oldest completed jobs of the tier beyond that many are deleted
	// in the same step (a store may trim once per Ack call, to the smallest KeepCompleted
	// the call names for the tier).
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
	// state failed until it is moved to the dead-letter queue (see Failed and DeleteFailed) or
	// removed by Clean. Counts.Failed grows by one.
	AckFail
)

// Ack is the outcome of one run of one job. The job's tier is the one its id encodes.
type Ack struct {
	Kind   AckKind
	ID     string
	Now    int64  // when the run ended
	RunAt  int64  // AckRetry, AckSnooze: when to run next
	Error  string // AckRetry, AckFail: what went wrong
	Result []byte // AckComplete: optional result to keep
	// StartedAt fences the ack to one run: when non-zero, the ack is ignored unless the job
	// is active with this StartedAt (as Fetch set it; every run of a job has its own). A worker
	// whose lease lapsed, and whose job was rescued and claimed again, cannot record an outcome
	// for the new run. Zero: any.
	StartedAt int64
	// KeepCompleted, for AckComplete: when > 0, the tier keeps at most this many completed
	// jobs; the oldest beyond it are deleted with this ack. 0: no count limit here.
	KeepCompleted int
}

// ListRequest asks for one page of a tier's jobs in one state. Orders: waiting in pickup
// order (next to run first); delayed by RunAt; active by LeaseUntil; completed and failed most
// recently finished first. Waiting includes the jobs a rate limit holds back (a store may
// list them after the others, each type's in their order, as the Redis store does).
type ListRequest struct {
	Tier   Tier
	State  State
	Cursor string // "" for the first page, else ListPage.Next of the previous page
	Limit  int    // most jobs in the page; 1 to 1000
}

// ListPage is one page of a listing.
type ListPage struct {
	Jobs []*Job
	// Next is the cursor of the following page, "" when this page is the last. A cursor is
	// opaque; jobs that change state between pages may be skipped or seen twice.
	Next string
}

// CleanRequest says what retention keeps in one tier. Completed jobs go when FinishedAt +
// RetainMs <= Now, and beyond the KeepCompleted most recently finished; failed jobs (those not
// moved to a dead-letter queue) go when FinishedAt + FailedRetainMs <= Now, and beyond the
// KeepFailed most recently finished.
type CleanRequest struct {
	Tier           Tier
	Now            int64
	KeepCompleted  int   // most completed jobs kept; 0: no count limit
	KeepFailed     int   // most failed jobs kept; 0: no count limit
	FailedRetainMs int64 // <= 0: failed jobs are not removed by age
	// Limit bounds the deletions of one call (each kind separately), so a call stays short; a
	// result equal to Limit means more may be due. At least 1.
	Limit int
}

// CleanResult counts what one Clean deleted.
type CleanResult struct {
	Completed int
	Failed    int
}
