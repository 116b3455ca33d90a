package slaq

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/slaqhq/slaq/internal/service"
)

// resolved is a Config with every default applied and every value checked: the one place
// defaults are resolved. The engine and the maintenance services are built from it.
type resolved struct {
	Config                              // every field set (None turned into its meaning)
	tiers         [NumTiers]TierConfig  // every tier's settings, None turned into 0
	clock         service.Clock         //
	log           Logger                //
	types         map[string]TypeConfig // as given
	failedRetain  time.Duration         // 0: for ever
	keepFailed    int                   // 0: no limit
	keepCompleted int                   // 0: no limit
	jitter        float64               // 0: none
}

// orNone returns def for 0, 0 for None, else v; negative values other than None are errors.
func orNone[T int | time.Duration | float64](v, def T, name string, errs *[]error) T {
	switch {
	case v == 0:
		return def
	case v == None:
		return 0
	case v < 0:
		*errs = append(*errs, fmt.Errorf("%s is %v: want a positive value, 0 for the default or slaq.None", name, v))
		return def
	}
	return v
}

func (c Config) resolve() (*resolved, error) {
	var errs []error
	r := &resolved{Config: c, types: c.Types}
	for t := range c.Tiers {
		if !t.Valid() {
			errs = append(errs, fmt.Errorf("config names unknown tier %d", t))
		}
	}
	for _, t := range Tiers {
		d, o := DefaultTierConfig(t), c.Tiers[t]
		name := func(f string) string { return fmt.Sprintf("tier %s %s", t, f) }
		ts := TierConfig{
			Workers:     orNone(o.Workers, d.Workers, name("Workers"), &errs),
			MaxWorkers:  orNone(o.MaxWorkers, d.MaxWorkers, name("MaxWorkers"), &errs),
			MaxAttempts: cmp.Or(o.MaxAttempts, d.MaxAttempts),
			Backoff:     orNone(o.Backoff, d.Backoff, name("Backoff"), &errs),
			Timeout:     cmp.Or(o.Timeout, d.Timeout),
			SLA:         orNone(o.SLA, d.SLA, name("SLA"), &errs),
			Lease:       cmp.Or(o.Lease, d.Lease),
			Reserve:     orNone(o.Reserve, d.Reserve, name("Reserve"), &errs),
			Cap:         o.Cap,
		}
		if o.Workers != 0 && o.MaxWorkers == 0 && d.MaxWorkers == d.Workers && d.MaxWorkers > 0 {
			ts.MaxWorkers = ts.Workers // LOW and BATCH: the worker count stays the cap
		}
		ts.Heartbeat = cmp.Or(o.Heartbeat, ts.Lease/3)
		ts.RescueEvery = cmp.Or(o.RescueEvery, ts.Lease/2)
		if ts.MaxAttempts < 1 || ts.Timeout < time.Millisecond || ts.Lease < 3*time.Millisecond || ts.Cap < 0 ||
			ts.Heartbeat <= 0 || ts.Heartbeat >= ts.Lease || ts.RescueEvery <= 0 {
			errs = append(errs, fmt.Errorf("invalid settings for tier %s: %+v (want MaxAttempts >= 1, Timeout >= 1ms, "+
				"Lease >= 3ms, 0 < Heartbeat < Lease, Cap >= 0)", t, ts))
		}
		r.tiers[t.Index()] = ts
	}
	for name, tc := range c.Types {
		if name == "" {
			errs = append(errs, errors.New("config has a job type with an empty name"))
		}
		if tc.Tier != 0 && !tc.Tier.Valid() {
			errs = append(errs, fmt.Errorf("job type %q names unknown tier %d", name, tc.Tier))
		}
		if tc.MaxAttempts < 0 || (tc.Backoff < 0 && tc.Backoff != None) || tc.Timeout < 0 || (tc.Retention < 0 && tc.Retention != None) {
			errs = append(errs, fmt.Errorf("invalid settings for job type %q: %+v", name, tc))
		}
	}
	for typ, l := range c.RateLimits {
		if typ == "" || l.Rate < 1 || l.Per < 0 || l.Burst < 0 || (l.Tier != 0 && !l.Tier.Valid()) {
			errs = append(errs, fmt.Errorf("invalid rate limit for job type %q: %+v (want Rate >= 1, Per >= 0, Burst >= 0)", typ, l))
		}
	}
	r.MaxPayloadBytes = cmp.Or(c.MaxPayloadBytes, DefaultMaxPayloadBytes)
	r.MaxTypeLength = cmp.Or(c.MaxTypeLength, DefaultMaxTypeLength)
	r.jitter = orNone(c.BackoffJitter, DefaultBackoffJitter, "BackoffJitter", &errs)
	r.MaxBackoff = cmp.Or(c.MaxBackoff, DefaultMaxBackoff)
	r.Retention = orNone(c.Retention, DefaultRetention, "Retention", &errs)
	r.keepCompleted = orNone(c.KeepCompleted, DefaultKeepCompleted, "KeepCompleted", &errs)
	r.failedRetain = orNone(c.FailedRetention, DefaultFailedRetention, "FailedRetention", &errs)
	r.keepFailed = orNone(c.KeepFailed, DefaultKeepFailed, "KeepFailed", &errs)
	r.LendWindow = cmp.Or(c.LendWindow, DefaultLendWindow)
	r.EventBuffer = cmp.Or(c.EventBuffer, DefaultEventBuffer)
	r.ShutdownGrace = cmp.Or(c.ShutdownGrace, DefaultShutdownGrace)
	r.CancelWait = cmp.Or(c.CancelWait, DefaultCancelWait)
	r.IdleWait = cmp.Or(c.IdleWait, DefaultIdleWait)
	r.CleanInterval = cmp.Or(c.CleanInterval, DefaultCleanInterval)
	r.CleanBatch = cmp.Or(c.CleanBatch, DefaultCleanBatch)
	r.CleanMaxBatches = cmp.Or(c.CleanMaxBatches, DefaultCleanMaxBatches)
	r.DeadLetterInterval = cmp.Or(c.DeadLetterInterval, DefaultDeadLetterInterval)
	r.DeadLetterRetry = cmp.Or(c.DeadLetterRetry, DefaultDeadLetterRetry)
	r.DeadLetterBatch = cmp.Or(c.DeadLetterBatch, DefaultDeadLetterBatch)
	r.StoreRetryMin = cmp.Or(c.StoreRetryMin, DefaultStoreRetryMin)
	r.StoreRetryMax = max(cmp.Or(c.StoreRetryMax, DefaultStoreRetryMax), r.StoreRetryMin)
	r.FetchBatch = cmp.Or(c.FetchBatch, DefaultFetchBatch)
	r.AckBatch = cmp.Or(c.AckBatch, DefaultAckBatch)
	r.AckQueue = cmp.Or(c.AckQueue, DefaultAckQueue)
	r.LatencyWindow = cmp.Or(c.LatencyWindow, DefaultLatencyWindow)
	r.ScheduleTolerance = cmp.Or(c.ScheduleTolerance, DefaultScheduleTolerance)
	for name, v := range map[string]int64{
		"MaxPayloadBytes": int64(r.MaxPayloadBytes), "MaxTypeLength": int64(r.MaxTypeLength), "MaxBackoff": int64(r.MaxBackoff),
		"LendWindow": int64(r.LendWindow), "EventBuffer": int64(r.EventBuffer), "ShutdownGrace": int64(r.ShutdownGrace),
		"CancelWait": int64(r.CancelWait), "IdleWait": int64(r.IdleWait), "CleanInterval": int64(r.CleanInterval),
		"CleanBatch": int64(r.CleanBatch), "CleanMaxBatches": int64(r.CleanMaxBatches),
		"DeadLetterInterval": int64(r.DeadLetterInterval), "DeadLetterRetry": int64(r.DeadLetterRetry),
		"DeadLetterBatch": int64(r.DeadLetterBatch), "StoreRetryMin": int64(r.StoreRetryMin), "FetchBatch": int64(r.FetchBatch),
		"AckBatch": int64(r.AckBatch), "AckQueue": int64(r.AckQueue), "LatencyWindow": int64(r.LatencyWindow),
		"ScheduleTolerance": int64(r.ScheduleTolerance),
	} {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s is %d: want a positive value or 0 for the default", name, v))
		}
	}
	r.resolveDurable(&errs)
	r.clock = service.FromNower(c.Clock)
	r.log = c.Logger
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.Name == "" {
		host, _ := os.Hostname()
		r.Name = host + ":" + strconv.Itoa(os.Getpid())
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("slaq: %w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return r, nil
}
