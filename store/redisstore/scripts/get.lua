-- get.lua: read one job: its record and, while it is active, its LeaseUntil and StartedAt.
--
-- KEYS[1]  jobs HASH (id -> record)
-- KEYS[2]  active ZSET (score LeaseUntil)
-- KEYS[3]  started HASH (id -> StartedAt of an active job)
--
-- ARGV[1]  the job's id
--
-- A record is not rewritten while its job is active (fetch leaves it as it was when waiting):
-- membership of the active ZSET makes the job active, with LeaseUntil its score and StartedAt
-- its started HASH entry. Returns {record, LeaseUntil, StartedAt}: record nil when there is no
-- such job, the other two nil unless it is active. Changes nothing.
--
-- Time: O(log A), A = active jobs.
local rec = redis.call('HGET', KEYS[1], ARGV[1])
if not rec then
  return {false}
end
return {rec, redis.call('ZSCORE', KEYS[2], ARGV[1]), redis.call('HGET', KEYS[3], ARGV[1])}
