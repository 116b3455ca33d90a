-- forget.lua: delete failed jobs of a tier once the dead-letter queue holds them.
--
-- KEYS[1]  failed ZSET (score FinishedAt)
-- KEYS[2]  jobs HASH (id -> record)
--
-- ARGV[i]  job i's id
--
-- Ids that are missing or not failed are ignored. Returns the number of jobs deleted.
--
-- Time: O(n · log F), F = failed jobs.
local deleted = 0
for i = 1, #ARGV do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    redis.call('HDEL', KEYS[2], ARGV[i])
    deleted = deleted + 1
  end
end
return deleted
