package bench

import (
	"math"
	"time"
)

// The workload parameters of WORKLOADS.md, and of slaq's rate-limit workload RL. [DefaultParams]
// uses them; tests shrink copies.
const (
	// W1JobsDefault is W1's `jobs`.
	W1JobsDefault = 50_000
	// W1ProducersDefault is W1's `producers` (variant single).
	W1ProducersDefault = 50
	// W1BulkChunkDefault is W1's `bulk_chunk` (variant bulk).
	W1BulkChunkDefault = 1_000
	// W1WorkersDefault is W1's `workers`.
	W1WorkersDefault = 50
	// W1TimeoutDefault is W1's `timeout_s`.
	W1TimeoutDefault = 100 * time.Second

	// W2JobsDefault is W2's `jobs`.
	W2JobsDefault = 10_000
	// W2WarmupDefault is W2's `warmup`.
	W2WarmupDefault = 100

	// W3BacklogJobsDefault is how many jobs W3 pre-fills into each of LOW and BATCH.
	W3BacklogJobsDefault = 5_000
	// W3BacklogSleepDefault is how long each W3 backlog job sleeps.
	W3BacklogSleepDefault = 50 * time.Millisecond
	// W3BulkChunkDefault is W3's pre-fill `bulk_chunk`.
	W3BulkChunkDefault = 1_000
	// W3CriticalRateDefault is W3's CRITICAL load in jobs per second.
	W3CriticalRateDefault = 200
	// W3WindowDefault is how long W3's CRITICAL load lasts.
	W3WindowDefault = 10 * time.Second
	// W3CriticalSleepDefault is how long each W3 CRITICAL job sleeps.
	W3CriticalSleepDefault = 2 * time.Millisecond
	// W3WarmupDefault is W3's `warmup_ms`: the pause between starting workers and the load.
	W3WarmupDefault = 500 * time.Millisecond
	// W3DrainTimeoutDefault is W3's `drain_timeout_s`.
	W3DrainTimeoutDefault = 20 * time.Second

	// W4JobsDefault is W4's `jobs`.
	W4JobsDefault = 100
	// W4SleepDefault is W4's `sleep_ms`.
	W4SleepDefault = 100 * time.Millisecond
	// W4WorkersDefault is W4's `workers`.
	W4WorkersDefault = 20
	// W4IdleBeforeDefault is W4's `idle_before_ms`.
	W4IdleBeforeDefault = 2 * time.Second
	// W4TimeoutDefault is W4's `timeout_s`.
	W4TimeoutDefault = 30 * time.Second

	// W5JobsDefault is how many jobs W5 enqueues.
	W5JobsDefault = 100_000
	// W5PayloadBytesDefault is the size of each W5 payload, a JSON object.
	W5PayloadBytesDefault = 200
	// W5BulkChunkDefault is how many jobs one W5 enqueue call carries (the spec leaves it
	// open; W1's bulk_chunk).
	W5BulkChunkDefault = W1BulkChunkDefault
	// W5WorkersDefault is how many workers process W5's jobs after the memory is read (the
	// spec leaves it open; W1's workers).
	W5WorkersDefault = W1WorkersDefault
	// W5TimeoutDefault bounds W5's processing phase (W1's timeout_s).
	W5TimeoutDefault = W1TimeoutDefault

	// RLWorkersDefault is the rate-limit workload's HIGH concurrency (W3's HIGH).
	RLWorkersDefault = 10
	// RLUnlimitedRateDefault is how many unlimited jobs per second RL issues, open loop (W3's
	// CRITICAL load).
	RLUnlimitedRateDefault = 200
	// RLUnlimitedSleepDefault is how long each unlimited RL job sleeps (W3's CRITICAL sleep).
	RLUnlimitedSleepDefault = 2 * time.Millisecond
	// RLLimitRateDefault is the limited type's RateLimit.Rate: 6,000 per minute, 100/s.
	RLLimitRateDefault = 6_000
	// RLLimitPerDefault is the limited type's RateLimit.Per.
	RLLimitPerDefault = time.Minute
	// RLLimitBurstDefault is the limited type's RateLimit.Burst (the library's default).
	RLLimitBurstDefault = 0
	// RLLimitedSleepDefault is how long each limited RL job sleeps (a call to a mail API).
	RLLimitedSleepDefault = 5 * time.Millisecond
	// RLBacklogFactorDefault sizes the limited backlog: this many times the quota of the warm-up
	// and the window, so the backlog outlasts the window.
	RLBacklogFactorDefault = 1.1
	// RLWarmupDefault is how long RL's workers run the backlog before the window opens.
	RLWarmupDefault = 3 * time.Second
	// RLMeasureDefault is RL's measured window: the unlimited stream runs through it, and the
	// limited type's achieved rate is counted over it.
	RLMeasureDefault = time.Minute
	// RLDrainTimeoutDefault bounds waiting for every job after the window, beyond the time the
	// rest of the limited backlog needs at its rate.
	RLDrainTimeoutDefault = 20 * time.Second
	// RLBulkChunkDefault is how many limited jobs one pre-fill call carries (W1's bulk_chunk).
	RLBulkChunkDefault = W1BulkChunkDefault
	// RLArrivalsDefault is how RL's open-loop streams space their jobs.
	RLArrivalsDefault = RLArrivalsPoisson
	// RLSeedDefault seeds RL's Poisson arrivals, so every run has the same schedule.
	RLSeedDefault = 1
)

// RL's arrival processes.
const (
	// RLArrivalsPoisson spaces jobs at exponential gaps with the stream's mean rate: they do
	// not keep step with the limited lane's fixed interval.
	RLArrivalsPoisson = "poisson"
	// RLArrivalsPeriodic spaces them at fixed intervals, as W3 does. With a limit whose interval
	// is a multiple of the stream's (10 ms and 5 ms by default), arrivals keep a fixed phase to
	// the lane's fetches for a whole run, so each run measures one phase.
	RLArrivalsPeriodic = "periodic"
)

// W3Tier is one tier of W3 with its concurrency. The weight and priority columns of
// WORKLOADS.md are for other libraries: slaq's tiers are its priorities.
type W3Tier struct {
	Name    string // the spec's queue name, e.g. "critical"
	Workers int    // the tier's own workers
}

// W3TiersDefault are W3's five tiers, most urgent first, as slaq tiers 1–5.
var W3TiersDefault = [5]W3Tier{{"critical", 20}, {"high", 10}, {"medium", 5}, {"low", 2}, {"batch", 1}}

// W1Params are W1's parameters.
type W1Params struct {
	Jobs      int           // jobs: how many jobs are enqueued, then processed
	Producers int           // producers: concurrent single-job producers (variant single)
	BulkChunk int           // bulk_chunk: jobs per batch call (variant bulk)
	Workers   int           // workers: the tier's concurrency
	Timeout   time.Duration // timeout_s: the longest processing may take
}

// W2Params are W2's parameters.
type W2Params struct {
	Jobs   int // jobs: measured (PING, enqueue) pairs
	Warmup int // warmup: unmeasured pairs before them
}

// W3Params are W3's parameters.
type W3Params struct {
	Tiers         [5]W3Tier     // the five tiers, most urgent first, with their workers
	BacklogJobs   int           // pre-filled jobs per backlog tier (LOW and BATCH)
	BacklogSleep  time.Duration // each backlog job's sleep
	BulkChunk     int           // bulk_chunk: jobs per pre-fill batch call
	CriticalRate  int           // CRITICAL jobs issued per second
	Window        time.Duration // how long CRITICAL jobs are issued
	CriticalSleep time.Duration // each CRITICAL job's sleep
	Warmup        time.Duration // warmup_ms: from starting the workers to the first CRITICAL job
	DrainTimeout  time.Duration // drain_timeout_s: the longest to wait for CRITICAL jobs to finish
}

// W4Params are W4's parameters.
type W4Params struct {
	Jobs       int           // jobs: concurrent enqueues in the burst
	Sleep      time.Duration // sleep_ms: each handler's sleep
	Workers    int           // workers: the tier's concurrency
	IdleBefore time.Duration // idle_before_ms: how long workers idle before the burst
	Timeout    time.Duration // timeout_s: the longest the burst may take to finish
}

// W5Params are W5's parameters.
type W5Params struct {
	Jobs         int           // waiting jobs whose footprint is measured
	PayloadBytes int           // each payload's size in bytes
	BulkChunk    int           // jobs per enqueue call
	Workers      int           // workers that then process every job
	Timeout      time.Duration // the longest processing may take
}

// RLParams are the rate-limit workload's parameters (slaq's own workload, beside W1–W5).
type RLParams struct {
	Workers        int           // HIGH's concurrency
	UnlimitedRate  int           // unlimited jobs issued per second through the window
	UnlimitedSleep time.Duration // each unlimited job's sleep
	LimitRate      int           // the limited type's RateLimit.Rate
	LimitPer       time.Duration // the limited type's RateLimit.Per
	LimitBurst     int           // the limited type's RateLimit.Burst
	LimitedSleep   time.Duration // each limited job's sleep
	BacklogFactor  float64       // limited backlog = factor × the quota of Warmup + Measure, plus Burst
	Warmup         time.Duration // from starting the workers to the window
	Measure        time.Duration // the window
	DrainTimeout   time.Duration // extra time allowed after the window for every job to finish
	BulkChunk      int           // limited jobs per pre-fill batch call
	Arrivals       string        // RLArrivalsPoisson or RLArrivalsPeriodic
	Seed           uint64        // seeds the Poisson arrivals
}

// Backlog is how many limited jobs RL pre-fills.
func (p RLParams) Backlog() int {
	if p.LimitPer <= 0 {
		return 0
	}
	quota := float64(p.LimitRate) * (p.Warmup + p.Measure).Seconds() / p.LimitPer.Seconds()
	return int(math.Ceil(p.BacklogFactor*quota)) + p.LimitBurst
}

// Params are every workload's parameters.
type Params struct {
	W1 W1Params
	W2 W2Params
	W3 W3Params
	W4 W4Params
	W5 W5Params
	RL RLParams
}

// DefaultParams returns the parameters of WORKLOADS.md.
func DefaultParams() Params {
	return Params{
		W1: W1Params{Jobs: W1JobsDefault, Producers: W1ProducersDefault, BulkChunk: W1BulkChunkDefault,
			Workers: W1WorkersDefault, Timeout: W1TimeoutDefault},
		W2: W2Params{Jobs: W2JobsDefault, Warmup: W2WarmupDefault},
		W3: W3Params{Tiers: W3TiersDefault, BacklogJobs: W3BacklogJobsDefault, BacklogSleep: W3BacklogSleepDefault,
			BulkChunk: W3BulkChunkDefault, CriticalRate: W3CriticalRateDefault, Window: W3WindowDefault,
			CriticalSleep: W3CriticalSleepDefault, Warmup: W3WarmupDefault, DrainTimeout: W3DrainTimeoutDefault},
		W4: W4Params{Jobs: W4JobsDefault, Sleep: W4SleepDefault, Workers: W4WorkersDefault,
			IdleBefore: W4IdleBeforeDefault, Timeout: W4TimeoutDefault},
		W5: W5Params{Jobs: W5JobsDefault, PayloadBytes: W5PayloadBytesDefault, BulkChunk: W5BulkChunkDefault,
			Workers: W5WorkersDefault, Timeout: W5TimeoutDefault},
		RL: RLParams{Workers: RLWorkersDefault, UnlimitedRate: RLUnlimitedRateDefault, UnlimitedSleep: RLUnlimitedSleepDefault,
			LimitRate: RLLimitRateDefault, LimitPer: RLLimitPerDefault, LimitBurst: RLLimitBurstDefault,
			LimitedSleep: RLLimitedSleepDefault, BacklogFactor: RLBacklogFactorDefault, Warmup: RLWarmupDefault,
			Measure: RLMeasureDefault, DrainTimeout: RLDrainTimeoutDefault, BulkChunk: RLBulkChunkDefault,
			Arrivals: RLArrivalsDefault, Seed: RLSeedDefault},
	}
}
