package slaq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slaqhq/slaq/store"
)

// ErrPermanent marks an error after which a job is not retried: it goes straight to the
// dead-letter queue. Test for it with errors.Is; make one with [Permanent].
var ErrPermanent = errors.New("permanent failure")

// ErrUnknownType is the (permanent) failure of a job whose type has no handler.
var ErrUnknownType = errors.New("unknown job type")

// ErrInvalid is wrapped by every error about bad input to Enqueue: nothing was stored.
var ErrInvalid = errors.New("invalid job")

// ErrInvalidConfig is wrapped by New's error when the Config is not usable.
var ErrInvalidConfig = errors.New("invalid config")

// ErrNotFound is wrapped when a job id is unknown to the store and the dead-letter queue. It
// is the same sentinel as store.ErrNotFound and dlq.ErrNotFound.
var ErrNotFound = store.ErrNotFound

// ErrNotCancellable is wrapped by Cancel's error for a job that is neither waiting nor
// delayed. It is the same sentinel as store.ErrNotCancellable.
var ErrNotCancellable = store.ErrNotCancellable

// ErrOutcomeUnknown is wrapped by Enqueue's error when the store failed in a way that leaves
// it unknown whether the jobs were stored (a timeout, a lost connection): they may exist and
// run. Enqueue again with the same [Unique] key to be safe; an error without it stored
// nothing.
var ErrOutcomeUnknown = errors.New("outcome unknown: the job may have been stored")

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() []error {
	return []error{ErrPermanent, e.err}
}

// Permanent wraps err so that the job is not retried. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// SnoozeError asks for the job to run again after a delay without spending an attempt.
type SnoozeError struct{ After time.Duration }

// Error says for how long the job was snoozed.
func (e *SnoozeError) Error() string { return fmt.Sprintf("snoozed for %s", e.After) }

// Snooze returns an error that re-runs the job after d without spending an attempt. Return it
// from a handler, e.g. when a dependency asked to be called later.
func Snooze(d time.Duration) error {
	if d < 0 {
		d = 0
	}
	return &SnoozeError{After: d}
}

// checkCtx refuses a nil context, which would otherwise panic deep inside a store.
func checkCtx(ctx context.Context, op string) error {
	if ctx == nil {
		return fmt.Errorf("slaq: %s: %w", op, invalid("nil context"))
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
