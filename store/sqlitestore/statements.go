package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// jobCols are the columns scanJob reads, in order.
const jobCols = `seq, id, type, tier, payload, state, attempts, max_attempts, timeout_ms, backoff_ms,
	run_at, created_at, started_at, finished_at, lease_until, last_error, unique_key, unique_ttl_ms,
	retain_ms, result`

// Statements several areas share. Each area's own statements live in its file.
const (
	sqlAddCounts = `UPDATE slaq_tiers SET waiting = waiting + ?, active = active + ?,
	delayed = delayed + ?, completed = completed + ?, failed = failed + ?,
	completed_kept = completed_kept + ?, failed_kept = failed_kept + ? WHERE tier = ?`
	sqlKept = `SELECT completed_kept, failed_kept FROM slaq_tiers WHERE tier = ?`
	// The oldest completed (failed) jobs of a tier, at most ?2 of them, by finish time.
	sqlTrimCompleted = `DELETE FROM slaq_jobs WHERE seq IN (SELECT seq FROM slaq_jobs
	WHERE tier = ? AND state = 'completed' ORDER BY finished_at, seq LIMIT ?)`
	sqlTrimFailed = `DELETE FROM slaq_jobs WHERE seq IN (SELECT seq FROM slaq_jobs
	WHERE tier = ? AND state = 'failed' ORDER BY finished_at, seq LIMIT ?)`
	sqlDataVersion     = `PRAGMA data_version`
	sqlJournalMode     = `PRAGMA journal_mode`
	sqlSynchronousFull = `PRAGMA synchronous = FULL`
	sqlTierCount       = `SELECT count(*) FROM slaq_tiers`
)

// statements are prepared once on Open: the writer's on the writer pool, the readers' on theirs.
type statements struct {
	// shared
	addCounts, kept, trimCompleted, trimFailed *sql.Stmt
	// enqueue.go
	insertJob, jobExists, uniqueGet, uniquePut *sql.Stmt
	// fetch.go
	tierRow, promote, claim, nextRunAt *sql.Stmt
	// ack.go
	completeDelete, completeKeep, retry, snooze, release, fail, tierWaiting *sql.Stmt
	// leases.go
	extend, rescue *sql.Stmt
	// deadletter.go
	failed, deleteFailed *sql.Stmt
	// retention.go
	cleanCompletedAge, cleanFailedAge, cleanUnique *sql.Stmt
	// cancel.go
	cancel, jobState, releaseUnique *sql.Stmt
	// pause.go
	setPaused *sql.Stmt
	// once.go
	once *sql.Stmt
	// ratelimit.go
	rates, setRate, deleteRate, setTat, candidates, claimSeqs, ratesRead *sql.Stmt
	lane, hold, unhold                                                   *sql.Stmt
	// read.go and open.go (reader pool)
	get, counts, ping *sql.Stmt
	list              [len(listOrders)]*sql.Stmt
	listHeld          *sql.Stmt // the lanes, listed with the waiting jobs

	all []*sql.Stmt
}

// prepare prepares every statement.
func (st *statements) prepare(ctx context.Context, w, r *sql.DB) error {
	var err error
	p := func(db *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		if s, err = db.PrepareContext(ctx, q); err != nil {
			err = fmt.Errorf("prepare %q: %w", q, err)
			return nil
		}
		st.all = append(st.all, s)
		return s
	}
	st.addCounts, st.kept = p(w, sqlAddCounts), p(w, sqlKept)
	st.trimCompleted, st.trimFailed = p(w, sqlTrimCompleted), p(w, sqlTrimFailed)
	st.insertJob, st.jobExists, st.uniqueGet, st.uniquePut = p(w, sqlInsertJob), p(w, sqlJobExists), p(w, sqlUniqueGet), p(w, sqlUniquePut)
	st.tierRow, st.promote, st.claim, st.nextRunAt = p(w, sqlTierRow), p(w, sqlPromote), p(w, sqlClaim), p(w, sqlNextRunAt)
	st.completeDelete, st.completeKeep = p(w, sqlCompleteDelete), p(w, sqlCompleteKeep)
	st.retry, st.snooze, st.release, st.fail = p(w, sqlRetry), p(w, sqlSnooze), p(w, sqlRelease), p(w, sqlFail)
	st.tierWaiting = p(w, sqlTierWaiting)
	st.extend, st.rescue = p(w, sqlExtend), p(w, sqlRescue)
	st.failed, st.deleteFailed = p(r, sqlFailed), p(w, sqlDeleteFailed)
	st.cleanCompletedAge, st.cleanFailedAge, st.cleanUnique = p(w, sqlCleanCompletedAge), p(w, sqlCleanFailedAge), p(w, sqlCleanUnique)
	st.cancel, st.jobState, st.releaseUnique = p(w, sqlCancel), p(w, sqlJobState), p(w, sqlReleaseUnique)
	st.setPaused = p(w, sqlSetPaused)
	st.once = p(w, sqlOnce)
	st.rates, st.setRate, st.deleteRate, st.setTat = p(w, sqlRates), p(w, sqlSetRate), p(w, sqlDeleteRate), p(w, sqlSetTat)
	st.candidates, st.claimSeqs, st.ratesRead = p(w, sqlCandidates), p(w, sqlClaimSeqs), p(r, sqlRates)
	st.lane, st.hold, st.unhold = p(w, sqlLane), p(w, sqlHold), p(w, sqlUnhold)
	st.listHeld = p(r, heldOrder.query())
	st.get, st.counts, st.ping = p(r, sqlGet), p(r, sqlCounts), p(r, sqlTierCount)
	for i, o := range listOrders {
		st.list[i] = p(r, o.query())
	}
	return err
}

// close closes every prepared statement.
func (st *statements) close() {
	for _, s := range st.all {
		_ = s.Close()
	}
	st.all = nil
}

// noRow reports whether err says a RETURNING or SELECT statement matched no row.
func noRow(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// execCount runs stmt and returns how many rows it changed.
func execCount(stmt *sql.Stmt, args ...any) (int64, error) {
	r, err := stmt.Exec(args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}
