-- pause.lua: pause or resume a tier for every process sharing the store.
--
-- KEYS[1]  tier stats HASH (field p: paused)
-- KEYS[2]  marker ZSET
--
-- ARGV[1]  "1" to pause, "0" to resume
--
-- Resuming wakes a waiter. Returns 1.
--
-- Time: O(1).
if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'p', 1)
else
  redis.call('HDEL', KEYS[1], 'p')
  redis.call('ZADD', KEYS[2], 0, 'm')
end
return 1
