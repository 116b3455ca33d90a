package slaq

import "time"

// DefaultUniqueTTL is how long a unique key blocks duplicates when [Unique] gives no TTL.
const DefaultUniqueTTL = 24 * time.Hour

// Option changes how one job is enqueued. Options override the job type's and the tier's
// defaults. Durations are kept in whole milliseconds, rounded up (a 500 µs timeout is 1 ms).
type Option func(*enqueueOptions)

type enqueueOptions struct {
	tier        Tier
	tierSet     bool
	runAt       time.Time
	delay       time.Duration
	timeout     time.Duration
	maxAttempts int
	backoff     time.Duration
	uniqueKey   string
	uniqueTTL   time.Duration
	retention   time.Duration
	errs        []string
}

// ceilMs rounds d up to a whole millisecond.
func ceilMs(d time.Duration) time.Duration {
	if r := d % time.Millisecond; r > 0 {
		d += time.Millisecond - r
	}
	return d
}

// WithTier puts the job in tier t (1-5). Default: the job type's tier, else MEDIUM. Tier 0
// does not exist and is an error: leave WithTier out for the default.
func WithTier(t Tier) Option {
	return func(o *enqueueOptions) {
		if !t.Valid() {
			o.errs = append(o.errs, "unknown tier "+t.String()+": want 1-5 (CRITICAL, HIGH, MEDIUM, LOW, BATCH)")
		}
		o.tier, o.tierSet = t, true
	}
}

// Delay makes the job runnable d from now. Default 0: at once.
func Delay(d time.Duration) Option {
	return func(o *enqueueOptions) {
		if d < 0 {
			o.errs = append(o.errs, "negative delay")
		}
		o.delay = ceilMs(d)
	}
}

// RunAt makes the job runnable at t. Default: at once.
func RunAt(t time.Time) Option { return func(o *enqueueOptions) { o.runAt = t } }

// Timeout bounds each run of the job. Default: the type's, else the tier's.
func Timeout(d time.Duration) Option {
	return func(o *enqueueOptions) {
		if d <= 0 {
			o.errs = append(o.errs, "timeout must be positive")
		}
		o.timeout = ceilMs(d)
	}
}

// MaxAttempts sets the total runs the job gets. Default: the type's, else the tier's.
func MaxAttempts(n int) Option {
	return func(o *enqueueOptions) {
		if n < 1 {
			o.errs = append(o.errs, "attempts must be at least 1")
		}
		o.maxAttempts = n
	}
}

// Backoff sets the delay before the first retry (retry n waits d·2^(n-1), at most
// Config.MaxBackoff). Default: the type's, else the tier's. None: retry at once.
func Backoff(d time.Duration) Option {
	return func(o *enqueueOptions) {
		if d <= 0 && d != None {
			o.errs = append(o.errs, "backoff must be positive, or slaq.None to retry at once")
		}
		o.backoff = d
		if d > 0 {
			o.backoff = ceilMs(d)
		}
	}
}

// Unique makes key an idempotency key within the job's tier: while a job enqueued in the same
// tier with the same key less than ttl ago is remembered, Enqueue stores nothing and returns
// that job's id. The key is released when ttl passes or when its job is cancelled; completing
// or failing does not release it, so a resent webhook never runs twice within ttl.
// ttl <= 0 means DefaultUniqueTTL.
func Unique(key string, ttl time.Duration) Option {
	return func(o *enqueueOptions) {
		if key == "" {
			o.errs = append(o.errs, "empty unique key")
		}
		o.uniqueKey = key
		o.uniqueTTL = ceilMs(ttl)
	}
}

// Retention keeps the completed job readable for d. Default: the type's, else
// Config.Retention. None: delete it on completion.
func Retention(d time.Duration) Option {
	return func(o *enqueueOptions) {
		if d <= 0 && d != None {
			o.errs = append(o.errs, "retention must be positive, or slaq.None to delete on completion")
		}
		o.retention = d
		if d > 0 {
			o.retention = ceilMs(d)
		}
	}
}
