package slaq

import "time"

// DefaultUniqueTTL is how long a unique key blocks duplicates when [Unique] gives no TTL.
const DefaultUniqueTTL = 24 * time.Hour

// Option changes how one job is enqueued. Options override the job type's and the tier's
// defaults.
type Option func(*enqueueOptions)

type enqueueOptions struct {
	tier        Tier
	runAt       time.Time
	delay       time.Duration
	timeout     time.Duration
	maxAttempts int
	backoff     time.Duration
	uniqueKey   string
	uniqueTTL   time.Duration
	retention   *time.Duration
	errs        []string
}

// WithTier puts the job in tier t. Default: the job type's tier, else MEDIUM.
func WithTier(t Tier) Option { return func(o *enqueueOptions) { o.tier = t } }

// Delay makes the job runnable d from now. Default 0: at once.
func Delay(d time.Duration) Option {
	return func(o *enqueueOptions) {
		if d < 0 {
			o.errs = append(o.errs, "negative delay")
		}
		o.delay = d
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
		o.timeout = d
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

// Backoff sets the delay before the first retry (retry n waits d·2^(n-1)). Default: the
// type's, else the tier's.
func Backoff(d time.Duration) Option {
	return func(o *enqueueOptions) {
		if d < 0 {
			o.errs = append(o.errs, "negative backoff")
		}
		o.backoff = d
		if d == 0 {
			o.backoff = -1 // explicit: retry at once
		}
	}
}

// Unique makes key an idempotency key: while a job enqueued with the same key less than ttl
// ago exists in the store's memory of keys, Enqueue stores nothing and returns that job's id.
// ttl <= 0 means DefaultUniqueTTL.
func Unique(key string, ttl time.Duration) Option {
	return func(o *enqueueOptions) {
		if key == "" {
			o.errs = append(o.errs, "empty unique key")
		}
		o.uniqueKey = key
		o.uniqueTTL = ttl
	}
}

// Retention keeps the completed job readable for d; 0 deletes it on completion.
// Default: Config.Retention.
func Retention(d time.Duration) Option {
	return func(o *enqueueOptions) {
		if d < 0 {
			o.errs = append(o.errs, "negative retention")
		}
		o.retention = &d
	}
}
