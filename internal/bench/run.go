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
)

// Workload is one of W1–W5 with its variants, the first being slaq's recommended setup.
type Workload struct {
	Name     string
	Variants []string
	run      func(ctx context.Context, e *runEnv, p Params, variant string) error
}

// Workloads lists W1–W5 in order.
var Workloads = []Workload{
	{W1, []string{VariantBulk, VariantSingle}, runW1},
	{W2, []string{VariantDefault}, runW2},
	{W3, []string{VariantTiers, VariantDefault, VariantElastic}, runW3},
	{W4, []string{VariantDefault}, runW4},
	{W5, []string{VariantDefault}, runW5},
}

// Find returns the workload called name (case-insensitive).
func Find(name string) (Workload, error) {
	for _, w := range Workloads {
		if strings.EqualFold(w.Name, name) {
			return w, nil
		}
	}
	return Workload{}, fmt.Errorf("bench: unknown workload %q: want w1, w2, w3, w4, w5 or all", name)
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
