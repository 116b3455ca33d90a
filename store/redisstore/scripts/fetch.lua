-- fetch.lua: claim up to Limit runnable jobs of one tier.
--
-- KEYS[1]  waiting LIST
-- KEYS[2]  delayed ZSET (score RunAt; member: 10-hex-digit sequence number, then the id)
-- KEYS[3]  active ZSET (score LeaseUntil)
-- KEYS[4]  marker ZSET
-- KEYS[5]  tier stats HASH (field p: paused)
-- KEYS[6]  jobs HASH (id -> record)
-- KEYS[7]  started HASH (id -> StartedAt of an active job)
-- KEYS[8]  rate limits HASH (type -> "rate:periodMs:burst")
-- KEYS[9]  rate state HASH (type -> GCRA theoretical arrival time, ms)
-- KEYS[10] held ZSET: the rate-limit lanes, all scores 0, member type .. "\0" .. 10 hex
--          digits of a sequence number .. id, so one type's held jobs sort together, in order
-- KEYS[11] lanes ZSET (type -> when the lane's head may start, ms): types with held jobs
--
-- ARGV[1]  now (ms)
-- ARGV[2]  limit: most jobs to claim, at least 1
-- ARGV[3]  LeaseUntil for the claimed jobs (ms)
-- ARGV[4]  cap: tier-wide cap on active jobs, 0 for none
-- ARGV[5]  most delayed jobs to promote in this call, at least 1
-- ARGV[6]  most jobs one call moves from the waiting LIST to the lanes
--
-- Due delayed jobs (RunAt <= now) become waiting first: their records get state w and their
-- ids go to the back of the waiting LIST (an id without a record is dropped). A claimed job's
-- record is not rewritten: it becomes active by entering the active ZSET (score LeaseUntil)
-- and the started HASH, which is where Get reads its state, LeaseUntil and StartedAt from
-- while it is active. Its StartedAt is now, or one more than the previous run's StartedAt
-- (record header field 4) when that is not earlier than now, so every run of a job has its
-- own StartedAt (the fence of ack.lua); the caller computes the same from the record.
-- Rate limits: with no limit in the tier (KEYS[8] empty) the fetch is as above. Otherwise the
-- ready lanes (score <= now) are served first, as many of each lane's oldest jobs as its
-- GCRA allows now; then jobs popped from the waiting LIST are claimed unless their type is
-- limited and either has a lane already (they queue behind it) or its GCRA allows no start
-- now: such a job moves to its lane (the held ZSET) without being claimed, and the lane's
-- score becomes the time its GCRA frees. GCRA per type: emission interval T = period/rate,
-- tolerance tau = burst · T; a start at now is allowed when tat - tau <= now, and moves tat to
-- max(tat, now) + T, so any window of one period sees at most rate + burst starts.
-- Returns {paused (0|1), NextRunAt (0: no delayed job), {id1, ...}, {record1, ...},
-- HeldUntil (the earliest lane score, 0: no lane), {type held back, ...}}; a record is false
-- (and its id dropped, not claimed) when the id has no record. An error reply when a limit is
-- below 1.
-- Re-adds the marker when waiting jobs remain and the fetch took as many as it could, or
-- stopped moving jobs to lanes at ARGV[6] with more behind them, so that a blocked process
-- (this one included) fetches again at once.
--
-- Time: O(limit + promoted · log D), D = delayed jobs; with limits, O(L + (limit + moved) ·
-- log H), L = limited types of the tier, H = held jobs, moved <= limit + ARGV[6] popped jobs
-- moved to lanes. Needs Redis >= 6.2 (RPOP with count).
-- A popped record of at most SCAN_BYTES bytes, in a tier with at most SCAN_TYPES limited
-- types, is searched for their names before its header is parsed (see limited_type).
local SCAN_BYTES, SCAN_TYPES = 1024, 4
local limit, promote = tonumber(ARGV[2]), tonumber(ARGV[5])
if not limit or limit < 1 or not promote or promote < 1 then
  return redis.error_reply('ERR fetch: limit and promote batch must be at least 1')
end
if redis.call('HEXISTS', KEYS[5], 'p') == 1 then
  return {1, 0}
end
local now = tonumber(ARGV[1])
local nextRunAt = 0
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if first[2] then
  nextRunAt = tonumber(first[2])
  if nextRunAt <= now then
    local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, promote)
    if #due > 0 then
      redis.call('ZREMRANGEBYRANK', KEYS[2], 0, #due - 1)
      local ids = {}
      for i, member in ipairs(due) do
        ids[i] = string.sub(member, 11)
      end
      local recs = records(KEYS[6], ids)
      local fields, push = {}, {}
      for i, id in ipairs(ids) do
        if recs[i] then
          fields[#fields + 1] = id
          fields[#fields + 1] = 'w' .. string.sub(recs[i], 2)
          push[#push + 1] = id
        end
      end
      call_all('HSET', KEYS[6], fields)
      call_all('LPUSH', KEYS[1], push)
    end
    first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    nextRunAt = tonumber(first[2]) or 0
  end
end
local n = limit
local cap = tonumber(ARGV[4])
if cap > 0 then
  local room = cap - redis.call('ZCARD', KEYS[3])
  if room < n then
    n = room
  end
end
if n <= 0 then
  return {0, nextRunAt}
end
local limits = redis.call('HGETALL', KEYS[8])
local lanes = redis.call('ZCARD', KEYS[11]) -- types with held jobs
local plain = #limits == 0 and lanes == 0
local ids, recs
local heldUntil, deferred, more = 0, {}, false
if plain then
  ids = redis.call('RPOP', KEYS[1], n)
  if not ids then
    return {0, nextRunAt}
  end
  recs = records(KEYS[6], ids)
  n = n - #ids
else
  local lim = {}
  for i = 1, #limits, 2 do
    local r, p, b = string.match(limits[i + 1], '^([^:]*):([^:]*):([^:]*)$')
    local T = tonumber(p) / tonumber(r)
    lim[limits[i]] = {T = T, tau = T * tonumber(b)}
  end
  -- limited_type returns a record's Type when it is limited, else nil. Parsing the header
  -- (job_type) is most of what a limit costs the tier's other jobs, so a short record is first
  -- searched, in C, for the names of the (few) limited types: one that holds none of them is
  -- of no limited type.
  local names = {}
  for ty in pairs(lim) do
    names[#names + 1] = ty
  end
  local scan = #names <= SCAN_TYPES
  local function limited_type(rec)
    if scan and #rec <= SCAN_BYTES then
      local hit = false
      for _, ty in ipairs(names) do
        if string.find(rec, ty, 1, true) then
          hit = true
          break
        end
      end
      if not hit then
        return nil
      end
    end
    local ty = job_type(rec)
    if lim[ty] then
      return ty
    end
    return nil
  end
  local tats = {}
  local function tat(ty)
    if not tats[ty] then
      tats[ty] = math.max(tonumber(redis.call('HGET', KEYS[9], ty)) or now, now)
    end
    return tats[ty]
  end
  -- allow returns how many starts (at most want) the GCRA of ty allows now, and takes them.
  local function allow(ty, want)
    local l, t = lim[ty], tat(ty)
    local k = 0
    if t - l.tau <= now then
      k = math.min(want, math.floor((now + l.tau - t) / l.T) + 1)
    end
    tats[ty] = t + k * l.T
    return k
  end
  local function freeAt(ty)
    return math.max(tats[ty] - lim[ty].tau, now)
  end
  local held = {} -- type -> true when it has (or may have) a lane, false when it has none
  local function laned(ty)
    if held[ty] == nil then
      held[ty] = lanes > 0 and redis.call('ZSCORE', KEYS[11], ty) ~= false
    end
    return held[ty]
  end
  ids, recs = {}, {} -- recs[i] is ids[i]'s record, read once: a lane's when it leaves it,
  -- a popped job's when its type is looked at
  local function hold(ty, id)
    local q = redis.call('HINCRBY', KEYS[5], 'q', 1)
    redis.call('ZADD', KEYS[10], 0, ty .. '\0' .. string.format('%010x', q) .. id)
    held[ty] = true
    lanes = lanes + 1
  end
  -- Ready lanes first: their jobs became runnable before anything still in the LIST.
  local ready = {}
  if lanes > 0 then
    ready = redis.call('ZRANGEBYSCORE', KEYS[11], '-inf', ARGV[1])
  end
  for _, ty in ipairs(ready) do
    if n <= 0 then
      break
    end
    local k = n
    if lim[ty] then
      k = allow(ty, n)
    end
    if k > 0 then
      local ms = redis.call('ZRANGEBYLEX', KEYS[10], '[' .. ty .. '\0', '[' .. ty .. '\1', 'LIMIT', 0, k)
      local lids = {}
      for i, m in ipairs(ms) do
        lids[i] = string.sub(m, #ty + 12)
      end
      local lrs = records(KEYS[6], lids)
      for i, id in ipairs(lids) do
        ids[#ids + 1] = id
        recs[#ids] = lrs[i]
      end
      call_all('ZREM', KEYS[10], ms)
      n = n - #ms
      if lim[ty] and #ms < k then
        tats[ty] = tats[ty] - (k - #ms) * lim[ty].T -- give back what the lane did not use
      end
      if #ms < k then -- the lane is empty now: the type's next jobs face its GCRA alone
        redis.call('ZREM', KEYS[11], ty)
        held[ty] = false
      else
        held[ty] = true
      end
    else
      held[ty] = true
    end
  end
  -- Then the LIST, in order; a limited type with a lane, or no start left, joins its lane.
  local moves = tonumber(ARGV[6])
  while n > 0 do
    local popped = redis.call('RPOP', KEYS[1], n)
    if not popped then
      break
    end
    local prs = records(KEYS[6], popped)
    for i, id in ipairs(popped) do
      local ty = prs[i] and limited_type(prs[i])
      if ty and (laned(ty) or allow(ty, 1) == 0) then
        hold(ty, id)
        deferred[ty] = true
        moves = moves - 1
      else
        ids[#ids + 1] = id
        recs[#ids] = prs[i]
        n = n - 1
      end
    end
    if moves <= 0 then
      more = true -- jobs behind the ones moved may be runnable: wake a fetcher for them
      break
    end
  end
  for ty in pairs(tats) do
    redis.call('HSET', KEYS[9], ty, string.format('%.3f', tats[ty]))
  end
  -- Lane scores: the time each type with held jobs may start again; empty lanes go.
  for ty, v in pairs(held) do
    local any = {}
    if v then
      any = redis.call('ZRANGEBYLEX', KEYS[10], '[' .. ty .. '\0', '[' .. ty .. '\1', 'LIMIT', 0, 1)
    end
    if v and #any == 0 then
      redis.call('ZREM', KEYS[11], ty)
    elseif v and lim[ty] then
      if not tats[ty] then
        tat(ty)
      end
      redis.call('ZADD', KEYS[11], string.format('%.0f', math.ceil(freeAt(ty))), ty)
    elseif v then
      redis.call('ZADD', KEYS[11], 0, ty) -- a lane whose limit was removed drains at once
    end
  end
  -- Lanes not yet free that the fetch had room for count as held back too. With no lane
  -- before the fetch and none made by it, there is nothing to look at.
  if lanes > 0 then
    if n > 0 then
      for _, ty in ipairs(redis.call('ZRANGEBYSCORE', KEYS[11], '(' .. ARGV[1], '+inf')) do
        deferred[ty] = true
      end
    end
    local first = redis.call('ZRANGE', KEYS[11], 0, 0, 'WITHSCORES')
    heldUntil = tonumber(first[2]) or 0
  end
end
local started, active = {}, {}
for i, id in ipairs(ids) do
  if recs[i] then
    local at = ARGV[1]
    local prev = tonumber(string.match(recs[i], '^[^|]*|[^|]*|[^|]*|([^|]*)|'))
    if prev and prev > 0 and prev >= now then
      at = string.format('%.0f', prev + 1)
    end
    started[#started + 1] = id
    started[#started + 1] = at
    active[#active + 1] = ARGV[3]
    active[#active + 1] = id
  end
end
call_all('HSET', KEYS[7], started)
call_all('ZADD', KEYS[3], active)
if (n <= 0 or more) and redis.call('LLEN', KEYS[1]) > 0 then
  redis.call('ZADD', KEYS[4], 0, 'm')
end
if plain then
  return {0, nextRunAt, ids, recs}
end
local dl = {}
for ty in pairs(deferred) do
  dl[#dl + 1] = ty
end
table.sort(dl)
return {0, nextRunAt, ids, recs, heldUntil, dl}
