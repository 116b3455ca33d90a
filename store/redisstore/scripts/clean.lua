-- clean.lua: delete a tier's completed jobs past their retention, then all but the newest keep.
--
-- KEYS[1]  completed ZSET (score FinishedAt)
-- KEYS[2]  completed-expiry ZSET (score FinishedAt + RetainMs)
-- KEYS[3]  jobs HASH (id -> record)
--
-- ARGV[1]  now (ms): jobs with FinishedAt + RetainMs <= now are deleted
-- ARGV[2]  keep: how many of the most recently finished to keep, < 0 for no count limit
-- ARGV[3]  most jobs to delete in this call
--
-- Returns the number of jobs deleted (the caller calls again while it equals ARGV[3]).
--
-- Time: O(m · log C), m = jobs deleted, C = completed jobs.
local limit = tonumber(ARGV[3])
local removed = 0
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, limit)
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  removed = removed + 1
end
call_all('HDEL', KEYS[3], ids)
local keep = tonumber(ARGV[2])
if keep >= 0 and removed < limit then
  local extra = redis.call('ZCARD', KEYS[1]) - keep
  if extra > limit - removed then
    extra = limit - removed
  end
  if extra > 0 then
    ids = redis.call('ZRANGE', KEYS[1], 0, extra - 1)
    redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1)
    for _, id in ipairs(ids) do
      redis.call('ZREM', KEYS[2], id)
      removed = removed + 1
    end
    call_all('HDEL', KEYS[3], ids)
  end
end
return removed
