// Package maint holds slaq's maintenance services: the rescuer (jobs whose leases lapsed go
// back to their tier), the cleaner (retention), the dead-letter mover (failed jobs go to
// the SQL dead-letter queue), the forwarders (outbox and spool into the store) and cron (the
// schedules' ticks enqueue their jobs, once per tick across replicas). Each is a service with Start(ctx) / Stop() on service.Loop,
// driven by an injectable clock, with test signals.
package maint

import (
	"context"
	"time"

	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store"
)

const numTiers = store.NumTiers

// DeadLetterQueue is the part of slaq.DeadLetterQueue the mover uses.
type DeadLetterQueue interface {
	// Add stores the jobs, idempotent on job id. It may store some and refuse others: its
	// error then has a method Rejected() map[string]string (job id → reason).
	Add(ctx context.Context, jobs []*store.Job) error
	// Delete removes the rows of the given job ids.
	Delete(ctx context.Context, jobIDs ...string) (int, error)
}

// Service is what every maintenance service offers.
type Service interface {
	// Start starts the service's loop and returns at once; cancelling ctx stops it.
	Start(ctx context.Context) error
	// Stop stops the loop and waits for it.
	Stop()
}

// base is what each service shares.
type base struct {
	store  store.Store
	clock  service.Clock
	logger service.Logger
	loop   service.Loop
}

// Stop stops the service's loop and waits for it to return.
func (b *base) Stop() { b.loop.Stop() }

func ms(t time.Time) int64 { return t.UnixMilli() }
