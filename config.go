package slaq

import (
	"time"

	"github.com/slaqhq/slaq/outbox"
)

// None, given to a setting whose zero value means "the default", means zero itself: no
// workers, no reserve, no count limit, no retention (delete on completion), no backoff (retry
// at once), no jitter, no SLA target. Each field's doc says what None means for it. It is an
// untyped constant, so it fits int, float and time.Duration fields alike.
const None = -1

// Defaults that are not per tier. Each is overridable through [Config].
const (
	// DefaultMaxPayloadBytes is the largest payload Enqueue accepts: 1 MiB.
	DefaultMaxPayloadBytes = 1 << 20
	// DefaultMaxTypeLength is the longest job type Enqueue accepts, in bytes: 128.
	DefaultMaxTypeLength = 128
	// DefaultMaxUniqueKeyLength is the longest unique key Enqueue accepts, in bytes: 512.
	DefaultMaxUniqueKeyLength = 512
	// DefaultBackoffJitter spreads each retry delay by ±10 % so that retries of jobs that failed
	// together do not hit a recovering dependency together.
	DefaultBackoffJitter = 0.1
	// DefaultMaxBackoff is the longest wait before a retry, however many attempts came
	// before: 1 hour.
	DefaultMaxBackoff = time.Hour
	// DefaultRetention is how long a completed job stays readable by id: 1 hour.
	DefaultRetention = time.Hour
	// DefaultKeepCompleted is how many completed jobs per tier are kept at most; the oldest
	// beyond it are deleted as jobs complete.
	DefaultKeepCompleted = 1000
	// DefaultFailedRetention is how long a failed job stays in the store when the client has
	// no dead-letter queue: 7 days.
	DefaultFailedRetention = 7 * 24 * time.Hour
	// DefaultKeepFailed is how many failed jobs per tier stay in the store at most when the
	// client has no dead-letter queue: 10,000.
	DefaultKeepFailed = 10000
	// DefaultIdleWait is the longest a fetcher blocks in Store.Wait before it looks again. It
	// bounds how long a fetcher takes to notice a change that sent no wake-up (none should).
	DefaultIdleWait = 5 * time.Second
	// DefaultCleanInterval is how often retention is enforced by the cleaner.
	DefaultCleanInterval = time.Minute
	// DefaultCleanBatch is the most jobs of one kind one clean-up call deletes: 1,000.
	DefaultCleanBatch = 1000
	// DefaultCleanMaxBatches is the most clean-up calls per tier in one round: 10.
	DefaultCleanMaxBatches = 10
	// DefaultDeadLetterInterval is how often the dead-letter mover looks for jobs that other
	// processes failed (jobs this process fails are moved at once): 5 s.
	DefaultDeadLetterInterval = 5 * time.Second
	// DefaultDeadLetterRetry is how soon the dead-letter mover tries again after the
	// dead-letter database failed to answer: 1 s.
	DefaultDeadLetterRetry = time.Second
	// DefaultDeadLetterBatch is how many failed jobs of a tier the mover moves per call: 100.
	DefaultDeadLetterBatch = 100
	// DefaultShutdownGrace is how long Stop lets running jobs finish before it cancels them.
	DefaultShutdownGrace = 30 * time.Second
	// DefaultCancelWait is how long Stop waits for handlers to return after it cancelled
	// their contexts, before it hands their jobs back regardless: 2 s.
	DefaultCancelWait = 2 * time.Second
	// DefaultStoreRetryMin and DefaultStoreRetryMax bound the pause between tries when the
	// store fails to answer a fetch or an ack: it doubles from 50 ms to 2 s.
	DefaultStoreRetryMin = 50 * time.Millisecond
	DefaultStoreRetryMax = 2 * time.Second
	// DefaultFetchBatch is the most jobs one fetch claims.
	DefaultFetchBatch = 100
	// DefaultAckBatch is the most outcomes sent to the store in one call.
	DefaultAckBatch = 256
	// DefaultAckQueue is how many outcomes may wait to be sent before runners block: 4,096.
	DefaultAckQueue = 4096
	// DefaultLatencyWindow is how many recent pickups per tier the latency percentiles use.
	DefaultLatencyWindow = 10000
	// DefaultLendWindow is how many recent run times per tier the lending rule looks at: 64.
	DefaultLendWindow = 64
	// DefaultEventBuffer is how many events may wait for the observers before new ones are
	// dropped (and counted): 8,192.
	DefaultEventBuffer = 8192
)

// TierConfig sets one tier's behaviour. A zero field takes the tier's default from
// [DefaultTierConfig]; [None] sets a count or duration to zero where zero is meaningful.
type TierConfig struct {
	// Workers is this tier's own pool in this process: its workers never wait for another
	// tier's jobs. Default 20/10/5/2/1; None: no workers of its own (its jobs then run only
	// on workers that help or lend).
	Workers int
	// MaxWorkers caps how many of this tier's jobs run at once in this process, whoever's
	// workers run them (its own, helpers' or lent ones). Default: no limit for CRITICAL, HIGH
	// and MEDIUM; Workers for LOW and BATCH, whose worker count is a resource cap (one BATCH
	// worker means backups never run two at a time). None: no limit.
	MaxWorkers int
	// MaxAttempts is how many runs a job gets before it is dead-lettered. Default 5/3/2/1/1.
	MaxAttempts int
	// Backoff is the delay before the first retry; retry n waits Backoff·2^(n-1), at most
	// Config.MaxBackoff. Default 2 s; None: retry at once.
	Backoff time.Duration
	// Timeout bounds one run; the handler's context is cancelled when it passes.
	// Default 30 s / 1 min / 2 min / 10 min / 30 min.
	Timeout time.Duration
	// SLA is the pickup-latency target the tier promises. Default 1 s / 5 s / 30 s / 5 min; BATCH
	// has none. None: no target (every pickup counts as within it).
	SLA time.Duration
	// Lease is how long an active job is held without renewal before it is handed to another
	// worker. Default 5 s / 10 s / 30 s / 1 min / 1 min.
	Lease time.Duration
	// Heartbeat is how often the leases of running jobs are renewed, and how often runs stuck
	// past their timeout are looked for. Default Lease/3.
	Heartbeat time.Duration
	// RescueEvery is how often jobs of this tier whose leases lapsed (their process died)
	// are returned to the tier. Default Lease/2, so a lost CRITICAL job runs again within
	// about 7.5 s.
	RescueEvery time.Duration
	// Reserve is how many idle workers of this tier are never lent to less urgent tiers.
	// Default 4/2/1/0/0; None: lend every idle worker.
	Reserve int
	// Cap is a tier-wide limit on active jobs across every process sharing the store; zero
	// means none.
	Cap int
}

// DefaultTierConfig returns the SPEC's defaults for tier t (t must be valid).
func DefaultTierConfig(t Tier) TierConfig {
	i := t.Index()
	lease := [...]time.Duration{5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, time.Minute}[i]
	workers := [...]int{20, 10, 5, 2, 1}[i]
	return TierConfig{
		Workers:     workers,
		MaxWorkers:  [...]int{0, 0, 0, workers, workers}[i],
		MaxAttempts: [...]int{5, 3, 2, 1, 1}[i],
		Backoff:     2 * time.Second,
		Timeout:     [...]time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute}[i],
		SLA:         [...]time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 5 * time.Minute, 0}[i],
		Lease:       lease,
		Heartbeat:   lease / 3,
		RescueEvery: lease / 2,
		Reserve:     [...]int{4, 2, 1, 0, 0}[i],
	}
}

// TypeConfig sets defaults for one job type; they override the tier's. Zero fields inherit.
type TypeConfig struct {
	Tier        Tier          // the tier jobs of this type go to when Enqueue names none; default MEDIUM
	MaxAttempts int           // default: the tier's
	Backoff     time.Duration // default: the tier's; None: retry at once
	Timeout     time.Duration // default: the tier's
	Retention   time.Duration // how long completed jobs stay readable; default Config.Retention; None: delete on completion
	Degrade     Degrade       // what Enqueue does when the store is unreachable; default Config.Degrade
}

// Config configures a [Client]. The zero value is usable: every field has a default.
type Config struct {
	// Tiers overrides tier defaults, keyed by tier. Zero fields keep their defaults.
	Tiers map[Tier]TierConfig
	// Types sets per-job-type defaults, keyed by job type.
	Types map[string]TypeConfig
	// RateLimits caps how often jobs of a type start, keyed by job type (see [RateLimit]);
	// Start stores them for every process sharing the store, replacing the type's earlier
	// limit. Default: none.
	RateLimits map[string]RateLimit
	// Handler runs jobs. With a nil Handler the client only enqueues and inspects; Start fails.
	Handler Handler
	// NoUpwardHelp turns off upward help: by default an idle worker of a less urgent tier runs
	// jobs of a more urgent tier whose own workers are all busy.
	NoUpwardHelp bool
	// NoLending turns off elastic lending. By default an idle worker of a tier runs jobs of a
	// less urgent tier, while its tier keeps Reserve workers idle, the borrower stays under
	// its MaxWorkers, and the borrower's recent runs (the last LendWindow in this process)
	// all took no longer than the lender's SLA target, so a lent worker comes back in time.
	NoLending bool
	// LendWindow is how many recent run times per tier the lending rule looks at. Default
	// DefaultLendWindow.
	LendWindow int
	// DeadLetters receives jobs whose attempts are exhausted. Default: none, and failed jobs
	// stay in the store for FailedRetention (at most KeepFailed per tier).
	DeadLetters DeadLetterQueue
	// Observers receive every job event (see [Event]) on one goroutine of the client, off the
	// hot path. Default: none.
	Observers []Observer
	// EventBuffer is how many events may wait for slow observers; beyond it new events are
	// dropped and counted (Client.EventsDropped). Default DefaultEventBuffer.
	EventBuffer int
	// MaxPayloadBytes caps a payload's size. Default DefaultMaxPayloadBytes.
	MaxPayloadBytes int
	// MaxTypeLength caps a job type's length in bytes. Default DefaultMaxTypeLength.
	MaxTypeLength int
	// BackoffJitter is the ± fraction applied to retry delays. Default DefaultBackoffJitter;
	// None: no jitter.
	BackoffJitter float64
	// MaxBackoff caps every retry delay. Default DefaultMaxBackoff.
	MaxBackoff time.Duration
	// Retention is how long completed jobs stay readable. Default DefaultRetention; None:
	// deleted on completion.
	Retention time.Duration
	// KeepCompleted caps completed jobs kept per tier, enforced as jobs complete. Default
	// DefaultKeepCompleted; None: no count limit.
	KeepCompleted int
	// FailedRetention is how long failed jobs stay in the store when there is no
	// DeadLetters. Default DefaultFailedRetention; None: for ever.
	FailedRetention time.Duration
	// KeepFailed caps failed jobs kept per tier when there is no DeadLetters. Default
	// DefaultKeepFailed; None: no count limit.
	KeepFailed int
	// ShutdownGrace is how long Stop lets running jobs finish. Default DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// CancelWait is how long Stop waits for cancelled handlers. Default DefaultCancelWait.
	CancelWait time.Duration
	// IdleWait bounds a fetcher's blocking wait. Default DefaultIdleWait.
	IdleWait time.Duration
	// CleanInterval is how often retention runs. Default DefaultCleanInterval.
	CleanInterval time.Duration
	// CleanBatch is the most deletions per clean-up call. Default DefaultCleanBatch.
	CleanBatch int
	// CleanMaxBatches is the most clean-up calls per tier per round. Default
	// DefaultCleanMaxBatches.
	CleanMaxBatches int
	// DeadLetterInterval is how often other processes' failures are looked for. Default
	// DefaultDeadLetterInterval.
	DeadLetterInterval time.Duration
	// DeadLetterRetry is the pause after the dead-letter database failed. Default
	// DefaultDeadLetterRetry.
	DeadLetterRetry time.Duration
	// DeadLetterBatch is how many failed jobs per tier move per call. Default
	// DefaultDeadLetterBatch.
	DeadLetterBatch int
	// StoreRetryMin and StoreRetryMax bound the back-off after store errors. Default
	// DefaultStoreRetryMin and DefaultStoreRetryMax.
	StoreRetryMin, StoreRetryMax time.Duration
	// FetchBatch is the most jobs one fetch claims. Default DefaultFetchBatch.
	FetchBatch int
	// AckBatch is the most outcomes per store call. Default DefaultAckBatch.
	AckBatch int
	// AckQueue is how many outcomes may wait to be sent. Default DefaultAckQueue.
	AckQueue int
	// LatencyWindow is how many recent pickups per tier feed the percentiles. Default
	// DefaultLatencyWindow.
	LatencyWindow int
	// Clock tells the time. Default the system clock.
	Clock Clock
	// Logger receives the client's logs. Default slog.Default().
	Logger Logger
	// Outbox is the application's outbox (outbox.New on its database): EnqueueTx writes jobs
	// into it within the caller's transaction, and Start forwards the committed ones into the
	// store. Default: none (EnqueueTx fails). The client does not close it.
	Outbox *outbox.Outbox
	// Spool is the local spool (outbox.OpenSpool) that DegradeSpool writes to while the store
	// is unreachable; Start forwards it. Default: none. The client does not close it.
	Spool *outbox.Outbox
	// Degrade is what Enqueue does when the store does not answer; TypeConfig.Degrade
	// overrides it per job type. Default DegradeFail.
	Degrade Degrade
	// ForwardInterval is the forwarders' safety interval: a round even when no commit was
	// signalled. Default DefaultForwardInterval.
	ForwardInterval time.Duration
	// ForwardBatch is the most jobs a forwarder moves per transaction. Default
	// DefaultForwardBatch.
	ForwardBatch int
	// Name identifies this process to operators (it is stored as the lease owner).
	// Default host name and pid.
	Name string
	// Schedules are cron schedules whose jobs Start enqueues at every tick, once per tick
	// however many processes have them (see [Schedule]). New refuses an invalid one with an
	// error wrapping ErrInvalid. Default: none.
	Schedules []Schedule
	// ScheduleTolerance is how late a schedule's tick may fire and still count as on time,
	// and how far replicas' clocks may differ. Default DefaultScheduleTolerance.
	ScheduleTolerance time.Duration
}
