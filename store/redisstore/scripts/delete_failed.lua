-- delete_failed.lua: delete failed jobs of a tier once the dead-letter queue holds them.
--
-- KEYS[1]  failed ZSET (score FinishedAt)
-- KEYS[2]  jobs HASH (id -> record)
--
-- ARGV[i]  job i's id
--
-- A job is deleted (failed ZSET entry and record) only when it is in the failed ZSET and its
-- record is in state f; any other id (missing, retried meanwhile, of another tier, or given
-- twice) is left alone. So when several processes delete the same ids, each deleted id is
-- returned to exactly one of them. Unique keys stay held until their TTL.
-- Returns the ids deleted, in the order given.
--
-- Time: O(n · log F), F = failed jobs.
local out = {}
if #ARGV == 0 then
  return out
end
local ids = {}
for i = 1, #ARGV do
  ids[i] = ARGV[i]
end
local recs = records(KEYS[2], ids)
for i, id in ipairs(ids) do
  if recs[i] and string.byte(recs[i], 1) == 102 and redis.call('ZREM', KEYS[1], id) == 1 then -- 'f'
    redis.call('HDEL', KEYS[2], id)
    out[#out + 1] = id
  end
end
return out
