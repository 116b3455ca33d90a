-- extend.lua: renew the leases of those of a tier's jobs that are still active.
--
-- KEYS[1]    active ZSET (score LeaseUntil)
-- KEYS[1+i]  job i's HASH
--
-- ARGV[1]    the new LeaseUntil (ms)
-- ARGV[1+i]  job i's id
--
-- Returns the number of leases renewed.
--
-- Time: O(n · log A), A = active jobs.
local until_ = ARGV[1]
local renewed = 0
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], until_, ARGV[i])
    redis.call('HSET', KEYS[i], 'l', until_)
    renewed = renewed + 1
  end
end
return renewed
