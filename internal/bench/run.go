package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Workload names and variants.
const (
	W1 = "w1"
	W2 = "w2"
	W3 = "w3"
	W4 = "w4"
	W5 = "w5"
	// RL is slaq's rate-limit workload (not in WORKLOADS.md): see runRL.
	RL = "rl"

	// VariantDefault names the only variant of a workload that has one.
	VariantDefault = "default"
	// VariantBulk and VariantSingle are W1's enqueue variants.
	VariantBulk   = "bulk"
	VariantSingle = "single"
	// W3's variants: VariantTiers (own workers per tier, no sharing), VariantDefault (slaq's
	// defaults: upward help and lending on, LOW and BATCH capped at their own workers) and
	// VariantElastic (lending, with LOW and BATCH allowed to borrow beyond their workers).
	VariantTiers   = "tiers"
	VariantElastic = "elastic"
	// VariantBulkIdleLimit is W1 bulk with a rate limit configured on a type that never runs,
	// in W1's tier: the limited-lane path of the fetch armed but idle (slaq's own variant, to
	// show what a configured limit costs the jobs it does not limit).
	VariantBulkIdleLimit = "bulk-idle-limit"
	// RL's variants: VariantWith (the limited type's backlog mixed into the tier),
	// VariantWithout (the unlimited stream alone, no limit configured) and VariantSameRate (no
	// limit, and a second unlimited type arriving at the limit's rate: the same work in the
	// tier as with, so with / same-rate is what the limit itself costs).
	VariantWith     = "with"
	VariantWithout  = "without"
	VariantSameRate = "same-rate"
)

// Workload is one of W1–W5 or RL with its variants, the first being slaq's recommended setup.
type Workload struct {
	Name     string
	Variants []string
	// Key lists the metrics a comparison divides: of one variant by another (Pairs), or of one
	// build by another (`slaq bench --compare`).
	Key []string
	// Pairs name variants whose Key metrics the report divides: each pair's first over its
	// second.
	Pairs [][2]string
	// Named is true for a workload `--workload all` leaves out: it runs only when named.
	Named bool
	run   func(ctx context.Context, e *runEnv, p Params, variant string) error
}

// Workloads lists W1–W5, then RL (which `all` leaves out: a full run takes minutes).
var Workloads = []Workload{
	{Name: W1, Variants: []string{VariantBulk, VariantSingle, VariantBulkIdleLimit}, run: runW1,
		Key: []string{"process_jobs_per_s", "enqueue_jobs_per_s"}, Pairs: [][2]string{{VariantBulkIdleLimit, VariantBulk}}},
	{Name: W2, Variants: []string{VariantDefault}, run: runW2,
		Key: []string{"enqueue_over_rtt_us_p50", "enqueue_us_p50", "enqueue_us_p99"}},
	{Name: W3, Variants: []string{VariantTiers, VariantDefault, VariantElastic}, run: runW3,
		Key: []string{"critical_pickup_ms_p50", "critical_pickup_ms_p99"}},
	{Name: W4, Variants: []string{VariantDefault}, run: runW4,
		Key: []string{"all_completed_ms", "first_pickup_ms"}},
	{Name: W5, Variants: []string{VariantDefault}, run: runW5,
		Key: []string{"bytes_per_waiting_job"}},
	{Name: RL, Variants: []string{VariantWith, VariantWithout, VariantSameRate}, run: runRL, Named: true,
		Key:   []string{"unlimited_pickup_ms_p50", "unlimited_pickup_ms_p99"},
		Pairs: [][2]string{{VariantWith, VariantWithout}, {VariantWith, VariantSameRate}}},
}

// Find returns the workload called name (case-insensitive).
func Find(name string) (Workload, error) {
	for _, w := range Workloads {
		if strings.EqualFold(w.Name, name) {
			return w, nil
		}
	}
	return Workload{}, fmt.Errorf("bench: unknown workload %q: want w1, w2, w3, w4, w5, rl or all", name)
}

// HasVariant reports whether w has variant v.
func (w Workload) HasVariant(v string) bool {
	for _, x := range w.Variants {
		if x == v {
			return true
		}
	}
	return false
}

// Run runs one variant of workload once, in this process, on a fresh store, and returns
// its metrics.
func Run(ctx context.Context, t Target, p Params, workload, variant string) (*Result, error) {
	w, err := Find(workload)
	if err != nil {
		return nil, err
	}
	if !w.HasVariant(variant) {
		return nil, fmt.Errorf("bench: workload %s has no variant %q: want one of %s", w.Name, variant, strings.Join(w.Variants, ", "))
	}
	res := &Result{Workload: w.Name, Variant: variant}
	e, err := open(ctx, t, res)
	if err != nil {
		return nil, err
	}
	err = w.run(ctx, e, p, variant)
	if cerr := e.closeWithin(closeTimeout); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: %s %s on %s: %w", w.Name, variant, t.Store, err)
	}
	return res, nil
}

// closeTimeout bounds closing a run's store: a store whose Close hangs is reported, not
// waited for.
const closeTimeout = 10 * time.Second

// closeWithin closes the run's store, or gives up after d.
func (e *runEnv) closeWithin(d time.Duration) error {
	done := make(chan struct{})
	go func() { e.close(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return fmt.Errorf("the %s store did not close within %s", e.target.Store, d)
	}
}
