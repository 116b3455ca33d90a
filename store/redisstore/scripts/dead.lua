-- dead.lua: read the oldest failed jobs of a tier (those not yet moved to the dead-letter queue).
--
-- KEYS[1]  failed ZSET (score FinishedAt)
-- KEYS[2]  job key prefix: a job's HASH is KEYS[2] .. id (same hash tag as KEYS[1])
--
-- ARGV[1]  most jobs to return
--
-- Returns {id1, {field, value, ...}, id2, ...}, oldest first. Changes nothing.
--
-- Time: O(log F + limit · fields), F = failed jobs.
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGETALL', KEYS[2] .. id)
end
return out
