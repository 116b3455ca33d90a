-- extend.lua: renew the leases of those of a tier's jobs that are still active.
--
-- KEYS[1]    active ZSET (score LeaseUntil)
-- KEYS[2]    jobs HASH (id -> record)
--
-- ARGV[1]    the new LeaseUntil (ms)
-- ARGV[1+i]  job i's id
--
-- Returns the number of leases renewed.
--
-- Time: O(n · log A), A = active jobs.
local renewed = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('ZSCORE', KEYS[1], id) then
    redis.call('ZADD', KEYS[1], ARGV[1], id)
    local rec = redis.call('HGET', KEYS[2], id)
    if rec then
      local h, rest = head(rec, 6)
      h[6] = ARGV[1]
      redis.call('HSET', KEYS[2], id, unhead(h, rest))
    end
    renewed = renewed + 1
  end
end
return renewed
