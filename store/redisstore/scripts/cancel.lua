-- cancel.lua: delete one waiting or delayed job and release its unique key.
--
-- KEYS[1]  jobs HASH (id -> record)
-- KEYS[2]  active ZSET (score LeaseUntil)
-- KEYS[3]  waiting LIST
-- KEYS[4]  delayed ZSET (score RunAt; member: 10-hex-digit sequence number, then the id)
-- KEYS[5]  held ZSET (rate-limit lanes; member type .. "\0" .. 10 hex digits .. id)
-- KEYS[6]  the job's unique-key STRING, when its record names one with a TTL (else absent)
--
-- ARGV[1]  the job's id
-- ARGV[2]  the unique key the caller read from the record ('' for none): the script checks
--          that the record still names it, so KEYS[5] is the key the job holds
--
-- The job's state comes from the active ZSET (an active record keeps its waiting letter) and
-- its record's state letter. A waiting job leaves the waiting LIST (LREM, a scan of it), a
-- delayed one the delayed ZSET (its member is found among those scored with the record's
-- RunAt); then its record goes, and the unique key goes when it still names the job as its
-- holder. Nothing else changes: counts follow from the LIST and ZSET lengths.
-- Returns 'ok' (cancelled), 'missing' (no record), 'busy' (active, completed or failed:
-- nothing changed) or 'stale' (the record names another unique key than ARGV[2]: nothing
-- changed; read it again).
--
-- Time: O(W + H) for a waiting job, W = waiting jobs, H = its type's held jobs; O(log D + k) for a delayed one, D =
-- delayed jobs, k = delayed jobs with the same RunAt.
local id = ARGV[1]
local rec = redis.call('HGET', KEYS[1], id)
if not rec then
  return 'missing'
end
local h, body = head(rec, 16)
local ukey = ''
if (tonumber(h[12]) or 0) > 0 then
  local tl, ul = tonumber(h[13]) or 0, tonumber(h[14]) or 0
  ukey = string.sub(body, tl + 1, tl + ul)
end
if ukey ~= ARGV[2] or (ukey ~= '' and #KEYS < 6) then
  return 'stale'
end
if redis.call('ZSCORE', KEYS[2], id) then
  return 'busy'
end
if h[1] == 'w' then
  if redis.call('LREM', KEYS[3], 1, id) == 0 then
    -- not in the LIST: it may wait in its type's rate-limit lane
    local ty = string.sub(body, 1, tonumber(h[13]) or 0)
    local member = nil
    for _, m in ipairs(redis.call('ZRANGEBYLEX', KEYS[5], '[' .. ty .. '\0', '[' .. ty .. '\1')) do
      if string.sub(m, #ty + 12) == id then
        member = m
        break
      end
    end
    if not member then
      return 'busy'
    end
    redis.call('ZREM', KEYS[5], member)
  end
elseif h[1] == 'd' then
  local member = nil
  local runAt = h[3] ~= '' and h[3] or '0'
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], runAt, runAt)) do
    if string.sub(m, 11) == id then
      member = m
      break
    end
  end
  if not member then
    return 'busy'
  end
  redis.call('ZREM', KEYS[4], member)
else
  return 'busy'
end
redis.call('HDEL', KEYS[1], id)
if ukey ~= '' then
  local holder = redis.call('GET', KEYS[6])
  if holder and string.sub(holder, 1, #id + 1) == id .. ':' then
    redis.call('DEL', KEYS[6])
  end
end
return 'ok'
