-- failed.lua: read the oldest failed jobs of a tier (those not yet moved to the dead-letter queue).
--
-- KEYS[1]  failed ZSET (score FinishedAt)
-- KEYS[2]  jobs HASH (id -> record)
--
-- ARGV[1]  most jobs to return, at least 1
--
-- Only ids whose record is in state f are returned. Changes nothing.
-- Returns {id1, record1, id2, record2, ...}, oldest first.
--
-- Time: O(log F + limit), F = failed jobs.
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local out = {}
if #ids == 0 then
  return out
end
local recs = records(KEYS[2], ids)
for i, id in ipairs(ids) do
  if recs[i] and string.byte(recs[i], 1) == 102 then -- 'f'
    out[#out + 1] = id
    out[#out + 1] = recs[i]
  end
end
return out
