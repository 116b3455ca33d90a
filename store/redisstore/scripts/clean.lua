-- clean.lua: enforce retention in one tier: delete completed and failed jobs past their age
-- or beyond the most recently finished that are kept.
--
-- KEYS[1]  completed ZSET (score FinishedAt)
-- KEYS[2]  completed-expiry ZSET (score FinishedAt + RetainMs)
-- KEYS[3]  failed ZSET (score FinishedAt)
-- KEYS[4]  jobs HASH (id -> record)
--
-- ARGV[1]  now (ms): completed jobs with FinishedAt + RetainMs <= now go
-- ARGV[2]  KeepCompleted: how many of the most recently finished completed jobs are kept,
--          0 for no count limit
-- ARGV[3]  most completed jobs to delete in this call (0: none)
-- ARGV[4]  failed cutoff (ms): failed jobs with FinishedAt <= cutoff go; '' for no age limit
-- ARGV[5]  KeepFailed: how many of the most recently finished failed jobs are kept, 0 for no
--          count limit
-- ARGV[6]  most failed jobs to delete in this call (0: none)
--
-- Each kind goes by age first, oldest first, then by count. A ZSET entry always goes; its
-- record goes only when it is in the ZSET's state (c or f), so a record that is not (which
-- idempotent Enqueue rules out) is never deleted by mistake. Unique keys stay held until their
-- TTL. Running totals (stats HASH) are not touched.
-- Returns {completed deleted, failed deleted} (the caller calls again for a kind while its
-- count equals its limit).
--
-- Time: O((c + f) · log N), c and f = jobs deleted, N = jobs in the ZSETs.

-- drop removes ids from zsets and deletes those of their records in state letter, and
-- returns how many ids it removed.
local function drop(ids, letter, zsets)
  if #ids == 0 then
    return 0
  end
  for _, z in ipairs(zsets) do
    call_all('ZREM', z, ids)
  end
  local recs = records(KEYS[4], ids)
  local gone = {}
  for i, id in ipairs(ids) do
    if recs[i] and string.byte(recs[i], 1) == letter then
      gone[#gone + 1] = id
    end
  end
  call_all('HDEL', KEYS[4], gone)
  return #ids
end

-- beyond returns up to max of the oldest members of zset beyond the keep newest.
local function beyond(zset, keep, max)
  if keep <= 0 or max <= 0 then
    return {}
  end
  local extra = math.min(redis.call('ZCARD', zset) - keep, max)
  if extra <= 0 then
    return {}
  end
  return redis.call('ZRANGE', zset, 0, extra - 1)
end

local climit, flimit = tonumber(ARGV[3]), tonumber(ARGV[6])
local c, f = 0, 0
if climit > 0 then
  local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, climit)
  c = drop(ids, 99, {KEYS[1], KEYS[2]}) -- 'c'
  c = c + drop(beyond(KEYS[1], tonumber(ARGV[2]), climit - c), 99, {KEYS[1], KEYS[2]})
end
if flimit > 0 then
  if ARGV[4] ~= '' then
    local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[4], 'LIMIT', 0, flimit)
    f = drop(ids, 102, {KEYS[3]}) -- 'f'
  end
  f = f + drop(beyond(KEYS[3], tonumber(ARGV[5]), flimit - f), 102, {KEYS[3]})
end
return {c, f}
