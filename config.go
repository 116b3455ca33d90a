package slaq

import (
	"fmt"
	"time"
)

// Defaults that are not per tier. Each is overridable through [Config].
const (
	// DefaultMaxPayloadBytes is the largest payload Enqueue accepts: 1 MiB.
	DefaultMaxPayloadBytes = 1 << 20
	// DefaultBackoffJitter spreads each retry delay by ±10 % so that retries of jobs that failed
	// together do not hit a recovering dependency together.
	DefaultBackoffJitter = 0.1
	// DefaultRetention is how long a completed job stays readable by id: 1 hour.
	DefaultRetention = time.Hour
	// DefaultKeepCompleted is how many completed jobs per tier the cleaner keeps at most.
	DefaultKeepCompleted = 1000
	// DefaultIdleWait is the longest a fetcher blocks in Store.Wait before it looks again. It
	// bounds how long a fetcher takes to notice a change that sent no wake-up (none should).
	DefaultIdleWait = 5 * time.Second
	// DefaultRescueInterval is how often leases are checked for expiry (each tier also at
	// half its lease, whichever is shorter).
	DefaultRescueInterval = 5 * time.Second
	// DefaultCleanInterval is how often retention is enforced.
	DefaultCleanInterval = time.Minute
	// DefaultDeadLetterRetry is how soon the dead-letter mover tries again after the
	// dead-letter database failed to answer.
	DefaultDeadLetterRetry = time.Second
	// DefaultShutdownGrace is how long Stop lets active jobs finish before it cancels them.
	DefaultShutdownGrace = 30 * time.Second
	// DefaultFetchBatch is the most jobs one fetch claims.
	DefaultFetchBatch = 100
	// DefaultAckBatch is the most outcomes sent to the store in one call.
	DefaultAckBatch = 256
	// DefaultLatencyWindow is how many recent pickups per tier the latency percentiles use.
	DefaultLatencyWindow = 10000
)

// TierConfig sets one tier's behaviour. A zero field takes the tier's default from
// [DefaultTierConfig].
type TierConfig struct {
	// Workers is how many jobs of this tier run at once in this process, and the tier's own
	// pool: its workers never wait for another tier's jobs. Default 20/10/5/2/1.
	Workers int
	// MaxAttempts is how many runs a job gets before it is dead-lettered. Default 5/3/2/1/1.
	MaxAttempts int
	// Backoff is the delay before the first retry; retry n waits Backoff·2^(n-1). Default 2 s.
	Backoff time.Duration
	// Timeout bounds one run; the handler's context is cancelled when it passes.
	// Default 30 s / 1 min / 2 min / 10 min / 30 min.
	Timeout time.Duration
	// SLA is the pickup-latency target the tier promises. Default 1 s / 5 s / 30 s / 5 min; BATCH
	// has none (zero: every pickup counts as within target).
	SLA time.Duration
	// Lease is how long an active job is held without a heartbeat before it is handed to
	// another worker; heartbeats renew it every Lease/3. Default 5 s / 10 s / 30 s / 1 min / 1 min.
	Lease time.Duration
	// Reserve, with elastic lending, is how many idle workers of this tier are never lent.
	// Default 4/2/1/0/0.
	Reserve int
	// MaxWorkers, with elastic lending, is the most jobs of this tier running at once in this
	// process, own and borrowed workers together. Default: no limit beyond the lenders' spare
	// workers. Set it to Workers to keep a tier from borrowing.
	MaxWorkers int
	// Cap is a tier-wide limit on active jobs across every process sharing the store; zero
	// means none.
	Cap int
}

// DefaultTierConfig returns the SPEC's defaults for tier t.
func DefaultTierConfig(t Tier) TierConfig {
	i := t.Index()
	return TierConfig{
		Workers:     [...]int{20, 10, 5, 2, 1}[i],
		MaxAttempts: [...]int{5, 3, 2, 1, 1}[i],
		Backoff:     2 * time.Second,
		Timeout:     [...]time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute}[i],
		SLA:         [...]time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 5 * time.Minute, 0}[i],
		Lease:       [...]time.Duration{5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, time.Minute}[i],
		Reserve:     [...]int{4, 2, 1, 0, 0}[i],
	}
}

// TypeConfig sets defaults for one job type; they override the tier's. Zero fields inherit.
type TypeConfig struct {
	Tier        Tier          // the tier jobs of this type go to when Enqueue names none; default MEDIUM
	MaxAttempts int           // default: the tier's
	Backoff     time.Duration // default: the tier's
	Timeout     time.Duration // default: the tier's
}

// Config configures a [Client]. The zero value is usable: every field has a default.
type Config struct {
	// Tiers overrides tier defaults, keyed by tier. Zero fields keep their defaults.
	Tiers map[Tier]TierConfig
	// Types sets per-job-type defaults, keyed by job type.
	Types map[string]TypeConfig
	// Handler runs jobs. With a nil Handler the client only enqueues and inspects; Start fails.
	Handler Handler
	// NoUpwardHelp turns off upward help: by default an idle worker of a lower tier runs jobs
	// of a more urgent tier whose own workers are all busy.
	NoUpwardHelp bool
	// Elastic turns on elastic lending: idle workers of a tier run jobs of less urgent tiers,
	// keeping each lender's Reserve idle and each borrower under its MaxWorkers. Default off.
	Elastic bool
	// DeadLetters receives jobs whose attempts are exhausted. Default: none, and failed jobs
	// stay in the store (see Store.Dead) until a client with a DeadLetters moves them.
	DeadLetters DeadLetterQueue
	// OnDeadLetter, when set, is called once for every job this client moved to DeadLetters.
	OnDeadLetter func(*Job)
	// MaxPayloadBytes caps a payload's size. Default DefaultMaxPayloadBytes.
	MaxPayloadBytes int
	// BackoffJitter is the ± fraction applied to retry delays. Default DefaultBackoffJitter;
	// negative means none.
	BackoffJitter float64
	// Retention is how long completed jobs stay readable. Default DefaultRetention; negative
	// deletes them on completion.
	Retention time.Duration
	// KeepCompleted caps completed jobs kept per tier. Default DefaultKeepCompleted; negative
	// means no count limit.
	KeepCompleted int
	// ShutdownGrace is how long Stop lets active jobs finish. Default DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// IdleWait, RescueInterval, CleanInterval, DeadLetterRetry: see the Default constants.
	IdleWait        time.Duration
	RescueInterval  time.Duration
	CleanInterval   time.Duration
	DeadLetterRetry time.Duration
	// FetchBatch and AckBatch: see DefaultFetchBatch and DefaultAckBatch.
	FetchBatch int
	AckBatch   int
	// LatencyWindow is how many recent pickups per tier feed the percentiles.
	LatencyWindow int
	// Clock tells the time. Default the system clock.
	Clock Clock
	// Logger receives the client's logs. Default slog.Default().
	Logger Logger
	// Name identifies this process to operators (it is stored as the lease owner).
	// Default host name and pid.
	Name string
}

// tierSettings holds the resolved settings of every tier.
type tierSettings [NumTiers]TierConfig

func (c *Config) resolve() (tierSettings, error) {
	var ts tierSettings
	for _, t := range Tiers {
		d := DefaultTierConfig(t)
		o := c.Tiers[t]
		pick := func(v, def int) int {
			if v != 0 {
				return v
			}
			return def
		}
		pickD := func(v, def time.Duration) time.Duration {
			if v != 0 {
				return v
			}
			return def
		}
		r := TierConfig{
			Workers:     pick(o.Workers, d.Workers),
			MaxAttempts: pick(o.MaxAttempts, d.MaxAttempts),
			Backoff:     pickD(o.Backoff, d.Backoff),
			Timeout:     pickD(o.Timeout, d.Timeout),
			SLA:         pickD(o.SLA, d.SLA),
			Lease:       pickD(o.Lease, d.Lease),
			Reserve:     pick(o.Reserve, d.Reserve),
			MaxWorkers:  o.MaxWorkers,
			Cap:         o.Cap,
		}
		if r.Workers < 0 || r.MaxAttempts < 1 || r.Backoff < 0 || r.Timeout < 0 || r.Lease < 3*time.Millisecond ||
			r.Reserve < 0 || r.MaxWorkers < 0 || r.Cap < 0 || r.SLA < 0 {
			return ts, fmt.Errorf("slaq: invalid settings for tier %s: %+v", t, r)
		}
		ts[t.Index()] = r
	}
	for t := range c.Tiers {
		if !t.Valid() {
			return ts, fmt.Errorf("slaq: config names unknown tier %d", t)
		}
	}
	for name, tc := range c.Types {
		if name == "" {
			return ts, fmt.Errorf("slaq: config has a job type with an empty name")
		}
		if tc.Tier != 0 && !tc.Tier.Valid() {
			return ts, fmt.Errorf("slaq: job type %q names unknown tier %d", name, tc.Tier)
		}
		if tc.MaxAttempts < 0 || tc.Backoff < 0 || tc.Timeout < 0 {
			return ts, fmt.Errorf("slaq: invalid settings for job type %q: %+v", name, tc)
		}
	}
	return ts, nil
}
