-- Rate-limit lanes: a waiting job of a rate-limited type that its limit holds back moves to
-- state 'held' (read back as waiting everywhere), so that the fetch's walk of the waiting
-- jobs in pickup order never steps over it again, whatever the size of the type's backlog.
-- This index keeps each type's lane in pickup order; it holds only held jobs, so it costs
-- the other jobs nothing.

-- +goose Up
CREATE INDEX slaq_jobs_lanes ON slaq_jobs (tier, type, run_at, seq) WHERE state = 'held';

-- +goose Down
UPDATE slaq_jobs SET state = 'waiting' WHERE state = 'held';
DROP INDEX slaq_jobs_lanes;
