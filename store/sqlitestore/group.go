package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Group commit: every write call becomes a request in a queue and competes for the writer
// lock with its priority. The call that takes the lock leads: it takes the queued requests
// into one transaction, runs each inside its own savepoint (so each call is still atomic and
// gets its own error) and commits once for all; the others return as soon as their request
// is done, without taking the lock. So while a transaction runs, the writes that arrive meanwhile
// are merged into the next one instead of queueing one transaction each.
const (
	// maxGroupCost bounds a group: the rows (jobs enqueued, fetched, acked, ...) that the
	// requests as urgent as the leader's or more may add to it. The leader's own request
	// always goes in, however large.
	maxGroupCost = 1_000
	// maxLowerGroupCost bounds the group's total once requests less urgent than the leader's
	// join it, so that small backlog writes ride along with an urgent one at little cost to
	// it while large ones keep their own transaction.
	maxLowerGroupCost = 8
	// costUnbounded is the cost of a write whose size is not known up front (clean): it never
	// joins another's group and takes no others into its own.
	costUnbounded = maxGroupCost + 1
)

// savepoint statements that keep each call of a group atomic on its own.
const (
	sqlSavepoint  = `SAVEPOINT slaq_call`
	sqlRollbackTo = `ROLLBACK TO slaq_call`
	sqlReleaseSP  = `RELEASE slaq_call`
)

// writeOp describes a write call.
type writeOp struct {
	name     string // for errors: "enqueue", "fetch", ...
	priority int    // writer lock priority, see priorityOf
	cost     int    // rows it is expected to touch
	durable  bool   // it returns only once its commit is durable (fsynced)
}

// writeReq is one write call waiting in the queue or in a group.
type writeReq struct {
	writeOp
	fn    func(tx *sql.Tx, wake *tierSet) error
	wake  tierSet       // tiers to wake once committed
	err   error         // the call's outcome
	seq   uint64        // the commit that holds it, for the durable wait
	taken bool          // a leader put it in a group; guarded by writeQueue.mu
	done  chan struct{} // closed when err and seq are set
}

// writeQueue holds the requests no group has taken yet, by priority, oldest first.
type writeQueue struct {
	mu      sync.Mutex
	pending [lowestPriority + 1][]*writeReq
}

// add queues r.
func (q *writeQueue) add(r *writeReq) {
	q.mu.Lock()
	q.pending[r.priority] = append(q.pending[r.priority], r)
	q.mu.Unlock()
}

// remove takes r out of the queue unless a group has taken it, and reports whether it did.
func (q *writeQueue) remove(r *writeReq) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if r.taken {
		return false
	}
	rs := q.pending[r.priority]
	for i, x := range rs {
		if x == r {
			q.pending[r.priority] = append(rs[:i:i], rs[i+1:]...)
			return true
		}
	}
	return false
}

// take returns the group leader leads, most urgent requests first, then oldest first, and
// removes them from the queue; nil if another group has taken leader already. Within a
// priority it stops at the first request that does not fit, so calls of one priority start
// in the order they came.
func (q *writeQueue) take(leader *writeReq) []*writeReq {
	q.mu.Lock()
	defer q.mu.Unlock()
	if leader.taken {
		return nil
	}
	var group []*writeReq
	total := leader.cost
	for p := range q.pending {
		limit := maxGroupCost
		if p > leader.priority {
			limit = maxLowerGroupCost
		}
		rs := q.pending[p]
		n := 0
		for _, r := range rs {
			if r != leader {
				if total+r.cost > limit {
					break
				}
				total += r.cost
			}
			n++
		}
		kept := rs[:0:0]
		for i, r := range rs {
			if i < n || r == leader {
				r.taken = true
				group = append(group, r)
			} else {
				kept = append(kept, r)
			}
		}
		q.pending[p] = kept
	}
	return group
}

// write runs fn as one atomic step of a write transaction: alone or grouped with other
// calls' steps (see writeQueue). After the commit it fires the wake-up signal of every tier
// fn marked in its wake set; a durable op then waits until its commit is fsynced (or every
// op does, with Options.SyncEveryWrite). If ctx is done while the call still waits for a
// group, it leaves the queue and returns ctx's error; a call in a running group finishes,
// since the transaction belongs to every call in it.
func (s *Store) write(ctx context.Context, op writeOp, fn func(tx *sql.Tx, wake *tierSet) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlitestore: %s: %w", op.name, err)
	}
	if s.closed.Load() {
		return errClosed(op.name)
	}
	r := &writeReq{writeOp: op, fn: fn, done: make(chan struct{})}
	s.queue.add(r)
	if s.wmu.lockOr(op.priority, r.done, ctx.Done()) {
		if group := s.queue.take(r); group != nil {
			s.runGroup(group)
		}
		s.wmu.unlock()
	} else if ctx.Err() != nil && s.queue.remove(r) {
		// Cancelled before any group took it: it never runs. Once taken, it runs to the end.
		return fmt.Errorf("sqlitestore: %s: %w", op.name, ctx.Err())
	}
	<-r.done
	if r.err != nil {
		return r.err
	}
	if s.sync != nil && (op.durable || s.opts.SyncEveryWrite) {
		if err := s.sync.syncTo(r.seq); err != nil {
			return fmt.Errorf("sqlitestore: %s: %w", op.name, err)
		}
	}
	return nil
}

// runGroup runs the requests of a group in one transaction, each in its own savepoint when
// there are several, commits, fires their wake-ups and marks them done. The caller holds
// the writer lock.
func (s *Store) runGroup(group []*writeReq) {
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	failAll := func(step string, err error) {
		for _, r := range group {
			if r.err == nil {
				r.err = fmt.Errorf("sqlitestore: %s: %s%w", r.name, step, err)
			}
		}
	}
	if s.closed.Load() {
		for _, r := range group {
			r.err = errClosed(r.name)
		}
		return
	}
	// The transaction belongs to the whole group: no caller's context may cancel it.
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		failAll("begin: ", err)
		return
	}
	if len(group) == 1 {
		r := group[0]
		if err := r.fn(tx, &r.wake); err != nil {
			_ = tx.Rollback()
			r.err = fmt.Errorf("sqlitestore: %s: %w", r.name, err)
			return
		}
	} else {
		for _, r := range group {
			if _, err := tx.Exec(sqlSavepoint); err != nil {
				_ = tx.Rollback()
				failAll("savepoint: ", err)
				return
			}
			if err := r.fn(tx, &r.wake); err != nil {
				r.err = fmt.Errorf("sqlitestore: %s: %w", r.name, err)
				r.wake = 0
				if _, err := tx.Exec(sqlRollbackTo); err != nil {
					_ = tx.Rollback()
					failAll("roll back to savepoint: ", err)
					return
				}
			}
			if _, err := tx.Exec(sqlReleaseSP); err != nil {
				_ = tx.Rollback()
				failAll("release savepoint: ", err)
				return
			}
		}
	}
	if err := tx.Commit(); err != nil {
		failAll("commit: ", err)
		return
	}
	var seq uint64
	if s.sync != nil {
		seq = s.sync.commit()
	}
	if s.ckpt != nil {
		s.ckpt.committed()
	}
	var wake tierSet
	for _, r := range group {
		if r.err == nil {
			r.seq = seq
			wake |= r.wake
		}
	}
	s.signals.fire(wake)
}
