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

// The writer's statements. Placeholders are numbered where a statement repeats one.
const (
	sqlInsertJob = `INSERT INTO slaq_jobs (id, type, tier, payload, state, attempts, max_attempts,
	timeout_ms, backoff_ms, run_at, created_at, started_at, finished_at, lease_until, last_error,
	unique_key, unique_ttl_ms, retain_ms, result)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUniqueGet = `SELECT job_id, expires_at FROM slaq_unique WHERE key = ?`
	sqlUniquePut = `INSERT INTO slaq_unique (key, job_id, tier, expires_at) VALUES (?1, ?2, ?3, ?4)
	ON CONFLICT (key) DO UPDATE SET job_id = ?2, tier = ?3, expires_at = ?4`
	sqlTierRow     = `SELECT paused, active FROM slaq_tiers WHERE tier = ?`
	sqlTierWaiting = `SELECT waiting FROM slaq_tiers WHERE tier = ?`
	sqlPromote     = `UPDATE slaq_jobs SET state = 'waiting'
	WHERE tier = ?1 AND state = 'delayed' AND run_at <= ?2`
	sqlClaim = `UPDATE slaq_jobs SET state = 'active', started_at = ?1, lease_until = ?2, owner = ?3
	WHERE seq IN (SELECT seq FROM slaq_jobs WHERE tier = ?4 AND state = 'waiting'
	              ORDER BY run_at, seq LIMIT ?5)
	RETURNING ` + jobCols
	sqlNextRunAt = `SELECT run_at FROM slaq_jobs WHERE tier = ? AND state = 'delayed'
	ORDER BY run_at LIMIT 1`
	sqlAddCounts = `UPDATE slaq_tiers SET waiting = waiting + ?, active = active + ?,
	delayed = delayed + ?, completed = completed + ?, failed = failed + ? WHERE tier = ?`
	sqlCompleteDelete = `DELETE FROM slaq_jobs WHERE id = ? AND state = 'active' AND retain_ms = 0
	AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlCompleteKeep = `UPDATE slaq_jobs SET state = 'completed', finished_at = ?, result = ?,
	lease_until = 0 WHERE id = ? AND state = 'active' AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlRetry = `UPDATE slaq_jobs SET state = 'delayed', attempts = attempts + 1, run_at = ?,
	last_error = ?, lease_until = 0 WHERE id = ? AND state = 'active' AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlSnooze = `UPDATE slaq_jobs SET state = 'delayed', run_at = ?, lease_until = 0
	WHERE id = ? AND state = 'active' AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlRelease = `UPDATE slaq_jobs SET state = 'waiting', lease_until = 0
	WHERE id = ? AND state = 'active' AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlFail = `UPDATE slaq_jobs SET state = 'failed', attempts = attempts + 1, last_error = ?,
	finished_at = ?, lease_until = 0 WHERE id = ? AND state = 'active' AND (? = 0 OR started_at = ?) RETURNING tier`
	sqlExtend = `UPDATE slaq_jobs SET lease_until = ? WHERE id = ? AND tier = ? AND state = 'active'`
	sqlRescue = `UPDATE slaq_jobs SET state = 'waiting', run_at = ?1, lease_until = 0
	WHERE tier = ?2 AND state = 'active' AND lease_until < ?1`
	sqlForget    = `DELETE FROM slaq_jobs WHERE id = ? AND tier = ? AND state = 'failed'`
	sqlSetPaused = `UPDATE slaq_tiers SET paused = ? WHERE tier = ?`
	sqlCleanAge  = `DELETE FROM slaq_jobs WHERE tier = ? AND state = 'completed'
	AND finished_at + retain_ms <= ?`
	sqlCleanKeep = `DELETE FROM slaq_jobs WHERE seq IN (SELECT seq FROM slaq_jobs
	WHERE tier = ? AND state = 'completed' ORDER BY finished_at DESC, seq DESC LIMIT -1 OFFSET ?)`
	sqlCleanUnique     = `DELETE FROM slaq_unique WHERE tier = ? AND expires_at <= ?`
	sqlDataVersion     = `PRAGMA data_version`
	sqlJournalMode     = `PRAGMA journal_mode`
	sqlSynchronousFull = `PRAGMA synchronous = FULL`
	sqlTierCount       = `SELECT count(*) FROM slaq_tiers`
	sqlGet             = `SELECT ` + jobCols + ` FROM slaq_jobs WHERE id = ?`
	sqlCounts          = `SELECT tier, waiting, active, delayed, completed, failed, paused FROM slaq_tiers`
	sqlDead            = `SELECT ` + jobCols + ` FROM slaq_jobs WHERE tier = ? AND state = 'failed'
	ORDER BY finished_at, seq LIMIT ?`
)

// statements are prepared once on Open: the writer's on the writer pool, the readers' on theirs.
type statements struct {
	insertJob, uniqueGet, uniquePut, tierRow, tierWaiting, promote, claim, nextRunAt, addCounts *sql.Stmt
	completeDelete, completeKeep, retry, snooze, release, fail                                  *sql.Stmt
	extend, rescue, forget, setPaused, cleanAge, cleanKeep, cleanUnique                         *sql.Stmt
	get, counts, dead                                                                           *sql.Stmt
	all                                                                                         []*sql.Stmt
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
	st.insertJob, st.uniqueGet, st.uniquePut = p(w, sqlInsertJob), p(w, sqlUniqueGet), p(w, sqlUniquePut)
	st.tierRow, st.tierWaiting = p(w, sqlTierRow), p(w, sqlTierWaiting)
	st.promote, st.claim = p(w, sqlPromote), p(w, sqlClaim)
	st.nextRunAt, st.addCounts = p(w, sqlNextRunAt), p(w, sqlAddCounts)
	st.completeDelete, st.completeKeep = p(w, sqlCompleteDelete), p(w, sqlCompleteKeep)
	st.retry, st.snooze, st.release, st.fail = p(w, sqlRetry), p(w, sqlSnooze), p(w, sqlRelease), p(w, sqlFail)
	st.extend, st.rescue, st.forget, st.setPaused = p(w, sqlExtend), p(w, sqlRescue), p(w, sqlForget), p(w, sqlSetPaused)
	st.cleanAge, st.cleanKeep, st.cleanUnique = p(w, sqlCleanAge), p(w, sqlCleanKeep), p(w, sqlCleanUnique)
	st.get, st.counts, st.dead = p(r, sqlGet), p(r, sqlCounts), p(r, sqlDead)
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
