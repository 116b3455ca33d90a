-- rescue.lua: return a tier's active jobs whose lease expired to waiting, no attempt spent.
--
-- KEYS[1]  active ZSET (score LeaseUntil)
-- KEYS[2]  waiting LIST
-- KEYS[3]  marker ZSET
-- KEYS[4]  job key prefix: a job's HASH is KEYS[4] .. id (same hash tag as KEYS[1..3]; the
--          expired jobs cannot be named in advance)
--
-- ARGV[1]  now (ms): jobs with LeaseUntil < now are rescued, with RunAt = now
-- ARGV[2]  most jobs to rescue in this call
--
-- Returns the number of jobs moved. Wakes a waiter when it moved any.
--
-- Time: O(m · log A), m = jobs moved, A = active jobs.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then
  return 0
end
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local jk = KEYS[4] .. id
  redis.call('HSET', jk, 's', 'waiting', 'r', ARGV[1])
  redis.call('HDEL', jk, 'l')
  redis.call('LPUSH', KEYS[2], id)
end
redis.call('ZADD', KEYS[3], 0, 'm')
return #ids
