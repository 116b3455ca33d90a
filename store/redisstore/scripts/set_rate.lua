-- set_rate.lua: set, change or remove one job type's rate limit in a tier.
--
-- KEYS[1]  rate limits HASH (type -> "rate:periodMs:burst")
-- KEYS[2]  lanes ZSET (type -> when the lane's head may start, ms)
-- KEYS[3]  marker ZSET
--
-- ARGV[1]  the job type
-- ARGV[2]  "rate:periodMs:burst", or "" to remove the limit
--
-- The type's GCRA state (its next free slot) is kept. When the type has held jobs, its lane
-- becomes ready (score 0) and a waiter wakes, so the next fetch decides them under the new
-- limit (without a limit, the lane drains in order). Returns 1.
--
-- Time: O(log L), L = lanes.
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
  redis.call('ZADD', KEYS[3], 0, 'm')
end
return 1
