// Package faults is slaq's fault-injection suite: its tests (in this folder) kill worker
// processes, restart Redis, crash a process writing to the embedded store, cut the
// dead-letter database, run poison jobs and soak the queue, each against real servers and
// real processes. This file holds what they share with `slaq bench soak`: the summary table
// and the soak workload.
package faults

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Row is one scenario's line in the summary table.
type Row struct {
	Scenario   string        // e.g. "worker SIGKILL ×3 (redis)"
	Jobs       int           // jobs the scenario enqueued (and acknowledged)
	Lost       int           // acknowledged jobs that never ran (or dead letters never written)
	Duplicated int           // jobs that ran more than once (or dead letters written twice)
	Recovery   time.Duration // time from the fault's end to work resuming; 0: not measured
	Note       string        // what Recovery measures, or other figures
}

// Table collects rows from concurrent tests.
type Table struct {
	mu   sync.Mutex
	rows []Row
}

// Add records one row.
func (t *Table) Add(r Row) {
	t.mu.Lock()
	t.rows = append(t.rows, r)
	t.mu.Unlock()
}

// Print writes the table, sorted by scenario, to w.
func (t *Table) Print(w io.Writer) {
	t.mu.Lock()
	rows := append([]Row(nil), t.rows...)
	t.mu.Unlock()
	if len(rows) == 0 {
		return
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Scenario < rows[j].Scenario })
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-40s %8s %5s %10s %10s  %s\n", "scenario", "jobs", "lost", "duplicated", "recovery", "note")
	for _, r := range rows {
		rec := "-"
		if r.Recovery > 0 {
			rec = r.Recovery.Round(time.Millisecond).String()
		}
		fmt.Fprintf(&b, "%-40s %8d %5d %10d %10s  %s\n", r.Scenario, r.Jobs, r.Lost, r.Duplicated, rec, r.Note)
	}
	_, _ = io.WriteString(w, b.String())
}
