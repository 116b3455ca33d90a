package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/slaqhq/slaq/store"
)

// The readers' statements; List's are built from listOrders.
const (
	sqlGet    = `SELECT ` + jobCols + ` FROM slaq_jobs WHERE id = ?`
	sqlCounts = `SELECT tier, waiting, active, delayed, completed, failed, paused FROM slaq_tiers`
)

// maxListLimit is the largest ListRequest.Limit List accepts, as the contract allows.
const maxListLimit = 1_000

// listOrder is how List walks one state: by an indexed column, then the sequence number.
type listOrder struct {
	state store.State
	col   string                 // the column of the order, as in the index
	desc  bool                   // most recent first
	key   func(*store.Job) int64 // the job's value of col, for the cursor
}

// listOrders are the orders of the contract: waiting in pickup order (as Fetch claims),
// delayed by RunAt, active by LeaseUntil, completed and failed most recently finished first.
var listOrders = [...]listOrder{
	{store.StateWaiting, "run_at", false, func(j *store.Job) int64 { return j.RunAt }},
	{store.StateDelayed, "run_at", false, func(j *store.Job) int64 { return j.RunAt }},
	{store.StateActive, "lease_until", false, func(j *store.Job) int64 { return j.LeaseUntil }},
	{store.StateCompleted, "finished_at", true, func(j *store.Job) int64 { return j.FinishedAt }},
	{store.StateFailed, "finished_at", true, func(j *store.Job) int64 { return j.FinishedAt }},
}

// heldOrder walks the rate-limit lanes (state 'held') in pickup order; List merges them
// into the waiting jobs.
var heldOrder = listOrder{stateHeld, "run_at", false, func(j *store.Job) int64 { return j.RunAt }}

// query is the order's page query: args tier, the cursor's key and seq, and the limit. The
// state is a literal so that SQLite can use the state's partial index.
func (o listOrder) query() string {
	cmp, dir := ">", "ASC"
	if o.desc {
		cmp, dir = "<", "DESC"
	}
	return fmt.Sprintf(`SELECT %s FROM slaq_jobs WHERE tier = ? AND state = '%s' AND (%s, seq) %s (?, ?)
	ORDER BY %s %s, seq %s LIMIT ?`, jobCols, o.state, o.col, cmp, o.col, dir, dir)
}

// Get returns the job with id, or an error wrapping store.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*store.Job, error) {
	if s.closed.Load() {
		return nil, errClosed("get")
	}
	j, _, err := scanJob(s.stmt.get.QueryRowContext(ctx, id))
	if noRow(err) {
		return nil, fmt.Errorf("sqlitestore: get %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, s.readErr("get "+id, err)
	}
	return j, nil
}

// Counts returns every tier's counts from slaq_tiers (one row per tier, no scan of jobs).
func (s *Store) Counts(ctx context.Context) ([store.NumTiers]store.Counts, error) {
	var all [store.NumTiers]store.Counts
	if s.closed.Load() {
		return all, errClosed("counts")
	}
	rows, err := s.stmt.counts.QueryContext(ctx)
	if err != nil {
		return all, s.readErr("counts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t int64
		var c store.Counts
		if err := rows.Scan(&t, &c.Waiting, &c.Active, &c.Delayed, &c.Completed, &c.Failed, &c.Paused); err != nil {
			return all, fmt.Errorf("sqlitestore: counts: %w", err)
		}
		if tier := store.Tier(t); tier.Valid() {
			all[tier.Index()] = c
		}
	}
	if err := rows.Err(); err != nil {
		return all, fmt.Errorf("sqlitestore: counts: %w", err)
	}
	return all, nil
}

// List returns one page of req.Tier's jobs in req.State, in the state's order, after
// req.Cursor, from a read connection. It walks the index of the state (tier, order column,
// sequence), so a page costs O(log n + Limit). The cursor names the last job's place in the
// order, not its position, so jobs deleted before it do not shift the next page: only jobs
// that changed meanwhile (their state, or RunAt, LeaseUntil) may be missed or seen twice. An
// unknown state, a Limit outside 1 to 1,000 or a malformed cursor is an error.
func (s *Store) List(ctx context.Context, req store.ListRequest) (store.ListPage, error) {
	var page store.ListPage
	if err := checkTier(req.Tier); err != nil {
		return page, fmt.Errorf("sqlitestore: list: %w", err)
	}
	if req.Limit < 1 || req.Limit > maxListLimit {
		return page, fmt.Errorf("sqlitestore: list: Limit %d: want 1 to %d", req.Limit, maxListLimit)
	}
	oi := -1
	for i, o := range listOrders {
		if o.state == req.State {
			oi = i
		}
	}
	if oi < 0 {
		return page, fmt.Errorf("sqlitestore: list: unknown state %q", req.State)
	}
	o := listOrders[oi]
	key, seq, err := parseCursor(req.Cursor, o.desc)
	if err != nil {
		return page, fmt.Errorf("sqlitestore: list: %w", err)
	}
	if s.closed.Load() {
		return page, errClosed("list")
	}
	jobs, seqs, err := s.listPage(ctx, oi, int64(req.Tier), key, seq, req.Limit+1)
	if err != nil {
		return page, s.readErr("list", err)
	}
	if len(jobs) > req.Limit { // one more than the page: a page follows
		jobs, seqs = jobs[:req.Limit], seqs[:req.Limit]
		last := jobs[len(jobs)-1]
		page.Next = formatCursor(o.key(last), seqs[len(seqs)-1])
	}
	page.Jobs = jobs
	return page, nil
}

// formatCursor encodes a place in a listing order: the order column's value and the seq.
func formatCursor(key, seq int64) string {
	return strconv.FormatInt(key, 10) + "." + strconv.FormatInt(seq, 10)
}

// parseCursor decodes a cursor of formatCursor; "" is the place before the first job.
func parseCursor(c string, desc bool) (key, seq int64, err error) {
	if c == "" {
		if desc {
			return math.MaxInt64, math.MaxInt64, nil
		}
		return math.MinInt64, math.MinInt64, nil
	}
	k, q, ok := strings.Cut(c, ".")
	if ok {
		if key, err = strconv.ParseInt(k, 10, 64); err == nil {
			seq, err = strconv.ParseInt(q, 10, 64)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("malformed cursor %q", c)
	}
	return key, seq, nil
}

// readErr wraps the error of a read, as store.ErrClosed if Close raced with it.
func (s *Store) readErr(op string, err error) error {
	if s.closed.Load() {
		return errClosed(op)
	}
	return fmt.Errorf("sqlitestore: %s: %w", op, err)
}

// listPage reads up to limit jobs of listOrders[oi] after the cursor (key, seq). Waiting
// jobs are read with the held ones (the rate-limit lanes, merged in pickup order) in one
// read transaction, so that a job a fetch moves between the two is listed once.
func (s *Store) listPage(ctx context.Context, oi int, tier, key, seq int64, limit int) ([]*store.Job, []int64, error) {
	if listOrders[oi].state != store.StateWaiting {
		rows, err := s.stmt.list[oi].QueryContext(ctx, tier, key, seq, limit)
		if err != nil {
			return nil, nil, err
		}
		return scanJobs(rows)
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	var parts [2]struct {
		jobs []*store.Job
		seqs []int64
	}
	for i, st := range []*sql.Stmt{s.stmt.list[oi], s.stmt.listHeld} {
		rows, err := tx.StmtContext(ctx, st).QueryContext(ctx, tier, key, seq, limit)
		if err != nil {
			return nil, nil, err
		}
		if parts[i].jobs, parts[i].seqs, err = scanJobs(rows); err != nil {
			return nil, nil, err
		}
	}
	jobs, seqs := mergeByRunAt(parts[0].jobs, parts[0].seqs, parts[1].jobs, parts[1].seqs)
	return jobs, seqs, nil
}

// mergeByRunAt merges two lists of jobs, each in pickup order (RunAt, then sequence), into
// one in that order.
func mergeByRunAt(a []*store.Job, as []int64, b []*store.Job, bs []int64) ([]*store.Job, []int64) {
	if len(b) == 0 {
		return a, as
	}
	jobs, seqs := make([]*store.Job, 0, len(a)+len(b)), make([]int64, 0, len(a)+len(b))
	i, k := 0, 0
	for i < len(a) || k < len(b) {
		if k == len(b) || i < len(a) && (a[i].RunAt < b[k].RunAt || a[i].RunAt == b[k].RunAt && as[i] < bs[k]) {
			jobs, seqs = append(jobs, a[i]), append(seqs, as[i])
			i++
		} else {
			jobs, seqs = append(jobs, b[k]), append(seqs, bs[k])
			k++
		}
	}
	return jobs, seqs
}
