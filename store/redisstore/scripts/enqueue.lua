-- enqueue.lua: store jobs of one tier in one atomic step, idempotent on job id.
--
-- KEYS[1]      waiting LIST (LPUSH here, RPOP by fetch)
-- KEYS[2]      delayed ZSET (score RunAt, ms; member: 10-hex-digit sequence number, then id)
-- KEYS[3]      marker ZSET (wakes a BZPOPMIN waiter)
-- KEYS[4]      tier stats HASH (field q: sequence of delayed members)
-- KEYS[5]      jobs HASH (id -> record)
-- KEYS[5+u]    the u-th unique-key STRING, in job order (general form only)
--
-- ARGV[1]      number of jobs n
-- ARGV[2]      form: "p" (plain) or "g" (general)
-- Plain form, when every job is waiting (RunAt <= now) and none has a unique key:
--   ARGV[3..2+2n]       id1, record1, ..., idn, recordn (records in state w)
--   ARGV[3+2n..2+3n]    id1, ..., idn
--   One HMGET tells whether any id is stored already; when none is, the records go to the
--   HASH and the ids to the LIST as given (no per-job Lua work but the HMGET check). A single
--   job is stored with HSETNX instead, which checks and writes in one call.
-- General form:
--   ARGV[3]    now (ms)
--   then, per job (stride 5): id, RunAt, unique expiry (ms, 0: no unique key, and no KEYS
--              entry), unique TTL (ms), record (state w when RunAt <= now, else d)
--
-- A job whose id is in the jobs HASH already (in any state), or earlier in this call, is not
-- stored and not pushed again (HSETNX semantics), and takes no unique key. A job whose unique
-- key is held (value "<holder id>:<expiry ms>", expiry > now) is not stored. The sequence
-- prefix of delayed members keeps jobs with the same RunAt in arrival order.
-- Returns n when every job was stored, else an array of n strings: "" when job i was stored,
-- else the id that made it a duplicate (its own id, or the unique key's holder). Wakes a
-- waiter when a job became waiting or the earliest delayed RunAt became earlier.
--
-- Time: O(n · log D), D = delayed jobs (plain form: O(n)).
local n = tonumber(ARGV[1])
if ARGV[2] == 'p' and n == 1 then
  -- One job (the common single enqueue): HSETNX is the check and the write.
  if redis.call('HSETNX', KEYS[5], ARGV[3], ARGV[4]) == 0 then
    return {ARGV[3]}
  end
  redis.call('LPUSH', KEYS[1], ARGV[3])
  redis.call('ZADD', KEYS[3], 0, 'm')
  return 1
end
if ARGV[2] == 'p' then
  local first, last = 3 + 2 * n, 2 + 3 * n
  local held = {}
  local any = false
  for i = first, last, 1000 do
    local part = redis.call('HMGET', KEYS[5], unpack(ARGV, i, math.min(i + 999, last)))
    for k = 1, #part do
      if part[k] then
        held[i - first + k] = true
        any = true
      end
    end
  end
  if not any then
    -- HSET counts the fields it added: fewer than n means an id repeats within the call.
    local added = 0
    for i = 3, 2 + 2 * n, 1000 do
      added = added + redis.call('HSET', KEYS[5], unpack(ARGV, i, math.min(i + 999, 2 + 2 * n)))
    end
    if added == n then
      for i = first, last, 1000 do
        redis.call('LPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, last)))
      end
      redis.call('ZADD', KEYS[3], 0, 'm')
      return n
    end
  end
  -- Some ids were stored before or repeat: store each first occurrence of a new id only
  -- (rewriting a repeated id's record with its first occurrence's).
  local res, seen, fields, push = {}, {}, {}, {}
  for i = 1, n do
    local id = ARGV[first + i - 1]
    if held[i] or seen[id] then
      res[i] = id
    else
      seen[id] = true
      res[i] = ''
      fields[#fields + 1] = id
      fields[#fields + 1] = ARGV[2 + 2 * i]
      push[#push + 1] = id
    end
  end
  call_all('HSET', KEYS[5], fields)
  if #push > 0 then
    call_all('LPUSH', KEYS[1], push)
    redis.call('ZADD', KEYS[3], 0, 'm')
  end
  return res
end
local now = tonumber(ARGV[3])
local ids = {}
for i = 1, n do
  ids[i] = ARGV[4 + (i - 1) * 5]
end
local have = records(KEYS[5], ids)
local earliest, seq = nil, nil
local wake = false
local res, seen, fields, waiting = {}, {}, {}, {}
local u = 5
for i = 1, n do
  local a = 4 + (i - 1) * 5
  local id, runAt, uexp = ids[i], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  if uexp > 0 then
    u = u + 1 -- the job's unique key is KEYS[u] whether or not it is stored
  end
  local holder = nil
  if have[i] or seen[id] then
    holder = id
  elseif uexp > 0 then
    local h = redis.call('GET', KEYS[u])
    if h then
      local sep = string.find(h, ':', 1, true)
      if sep and tonumber(string.sub(h, sep + 1)) > now then
        holder = string.sub(h, 1, sep - 1)
      end
    end
    if not holder then
      redis.call('SET', KEYS[u], id .. ':' .. ARGV[a + 2], 'PX', ARGV[a + 3])
    end
  end
  if holder then
    res[i] = holder
  else
    seen[id] = true
    res[i] = ''
    fields[#fields + 1] = id
    fields[#fields + 1] = ARGV[a + 4]
    if runAt <= now then
      waiting[#waiting + 1] = id
    else
      if seq == nil then
        local top = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
        earliest = tonumber(top[2])
        seq = redis.call('HINCRBY', KEYS[4], 'q', n) - n
      end
      seq = seq + 1
      redis.call('ZADD', KEYS[2], runAt, string.format('%010x', seq) .. id)
      if earliest == nil or runAt < earliest then
        earliest = runAt
        wake = true
      end
    end
  end
end
call_all('HSET', KEYS[5], fields)
if #waiting > 0 then
  call_all('LPUSH', KEYS[1], waiting)
  wake = true
end
if wake then
  redis.call('ZADD', KEYS[3], 0, 'm')
end
return res
