-- Indexes for List and Clean, and the numbers of completed and failed jobs still kept, so
-- that retention by count finds the jobs beyond the limit without counting them.

-- +goose Up
-- List of active jobs by lease end; Rescue of lapsed leases.
CREATE INDEX slaq_jobs_active ON slaq_jobs (tier, lease_until, seq) WHERE state = 'active';

-- Clean of completed jobs by the end of their retention (each job has its own RetainMs).
CREATE INDEX slaq_jobs_expiry ON slaq_jobs (tier, finished_at + retain_ms) WHERE state = 'completed';

-- Completed and failed jobs kept in slaq_jobs now (the columns completed and failed are
-- running totals).
ALTER TABLE slaq_tiers ADD COLUMN completed_kept INTEGER NOT NULL DEFAULT 0;
ALTER TABLE slaq_tiers ADD COLUMN failed_kept INTEGER NOT NULL DEFAULT 0;
UPDATE slaq_tiers SET
    completed_kept = (SELECT count(*) FROM slaq_jobs j WHERE j.tier = slaq_tiers.tier AND j.state = 'completed'),
    failed_kept = (SELECT count(*) FROM slaq_jobs j WHERE j.tier = slaq_tiers.tier AND j.state = 'failed');

-- +goose Down
ALTER TABLE slaq_tiers DROP COLUMN failed_kept;
ALTER TABLE slaq_tiers DROP COLUMN completed_kept;
DROP INDEX slaq_jobs_expiry;
DROP INDEX slaq_jobs_active;
