-- list.lua: read one page of a tier's jobs in one state. Changes nothing.
--
-- KEYS[1]  the state's structure: waiting LIST, or delayed, active, completed or failed ZSET
-- KEYS[2]  jobs HASH (id -> record)
-- KEYS[3]  started HASH (id -> StartedAt of an active job), for the active ZSET; for "w" and
--          "h", the held ZSET (jobs a rate limit holds back: member type .. "\0" .. 10 hex
--          digits of a sequence number .. id, all scores 0)
--
-- ARGV[1]  order: "w" the waiting LIST, next to run first, then the held ZSET by member
--          (each limited type's held jobs together, in their order); "h" the held ZSET only,
--          after member ARGV[4] (a cursor into the held part of a waiting listing); "a" a ZSET by ascending score
--          (delayed by RunAt, active by LeaseUntil); "r" a ZSET by descending score
--          (completed and failed, most recently finished first)
-- ARGV[2]  page size p, at least 1
-- ARGV[3]  "w": the last listed job's distance from the pop end when it was listed (0 for
--          the first page). ZSETs: the cursor's score, '' for the first page
-- ARGV[4]  "w": the last listed job's id, '' for the first page; the page starts after it,
--          found with LPOS from the pop end (looking at most ARGV[3] + 1001 entries), or at
--          the pop end when it is no longer waiting. ZSETs: the cursor's member; the page
--          starts strictly after (score, member) in the order, whether or not that member is
--          still there
-- ARGV[5]  how many leading bytes of a member to drop to get the id (10 for delayed, else 0)
--
-- Reads p + 1 entries, so the caller knows whether a page follows.
-- Returns {{member1, ...}, {score1, ...} (ZSETs but held only, else empty), {record1, ...},
-- {StartedAt1, ...} (active only, else empty), distance of the page's first job from the
-- pop end ("w" only, else 0), index of the first held member (0: none)}; a record or
-- StartedAt is false when missing.
--
-- Time: O(log N + p) for a ZSET when the cursor's member still has the cursor's score, else
-- O(log N · log k + p), k = members with the cursor's score; O(d + p) for "w", d = the last
-- listed job's distance from the pop end; O(log H + p) for the held part, H = held jobs.
-- Needs Redis >= 6.0.6 (LPOS).
local order, p = ARGV[1], tonumber(ARGV[2])
if not p or p < 1 then
  return redis.error_reply('ERR list: page size must be at least 1')
end
local members, scores = {}, {}
local off, heldAt = 0, 0
-- fromHeld appends up to n held members after member after ('' from the first).
local function fromHeld(after, n)
  local lo = '-'
  if after ~= '' then
    lo = '(' .. after
  end
  local got = redis.call('ZRANGEBYLEX', KEYS[3], lo, '+', 'LIMIT', 0, n)
  if #got > 0 then
    heldAt = #members + 1
  end
  for _, m in ipairs(got) do
    members[#members + 1] = m
  end
end
if order == 'h' then
  fromHeld(ARGV[4], p + 1)
elseif order == 'w' then
  off = tonumber(ARGV[3]) or 0
  if ARGV[4] ~= '' then
    -- Continue after the last job listed, wherever claims and releases moved it; gone (so
    -- claimed, with every job listed before it, or cancelled), start again at the pop end.
    local pos = redis.call('LPOS', KEYS[1], ARGV[4], 'RANK', -1, 'MAXLEN', off + 1001)
    if pos then
      off = redis.call('LLEN', KEYS[1]) - pos
    else
      off = 0
    end
  end
  local got = redis.call('LRANGE', KEYS[1], -(off + p + 1), -(off + 1))
  for i = #got, 1, -1 do -- the pop end (next to run) is the LIST's tail
    members[#members + 1] = got[i]
  end
  if #members < p + 1 then
    fromHeld('', p + 1 - #members)
  end
else
  -- less compares members by their bytes, as a ZSET orders members of one score (Lua's own
  -- string comparison follows the server's locale).
  local function less(a, b)
    for i = 1, math.min(#a, #b) do
      local x, y = string.byte(a, i), string.byte(b, i)
      if x ~= y then
        return x < y
      end
    end
    return #a < #b
  end
  -- before returns how many members sort before (score s, member m), and whether m is there
  -- with score s.
  local function before(s, m)
    local own = redis.call('ZSCORE', KEYS[1], m)
    if own and tonumber(own) == s then
      return redis.call('ZRANK', KEYS[1], m), true
    end
    local lo = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. ARGV[3])
    local hi = lo + redis.call('ZCOUNT', KEYS[1], ARGV[3], ARGV[3])
    while lo < hi do -- the first member of score s not below m
      local mid = math.floor((lo + hi) / 2)
      local e = redis.call('ZRANGE', KEYS[1], mid, mid)[1]
      if less(e, m) then
        lo = mid + 1
      else
        hi = mid
      end
    end
    return lo, false
  end
  local got
  if order == 'a' then
    local start = 0
    if ARGV[3] ~= '' then
      local b, there = before(tonumber(ARGV[3]), ARGV[4])
      start = there and b + 1 or b
    end
    got = redis.call('ZRANGE', KEYS[1], start, start + p, 'WITHSCORES')
  else
    local start = 0
    if ARGV[3] ~= '' then
      start = redis.call('ZCARD', KEYS[1]) - before(tonumber(ARGV[3]), ARGV[4])
    end
    got = redis.call('ZREVRANGE', KEYS[1], start, start + p, 'WITHSCORES')
  end
  for i = 1, #got, 2 do
    members[#members + 1] = got[i]
    scores[#scores + 1] = got[i + 1]
  end
end
local strip = tonumber(ARGV[5]) or 0
local ids = {}
for i, m in ipairs(members) do
  if heldAt > 0 and i >= heldAt then
    ids[i] = string.sub(m, string.find(m, '\0', 1, true) + 11)
  else
    ids[i] = string.sub(m, strip + 1)
  end
end
local recs, starts = {}, {}
if #ids > 0 then
  recs = records(KEYS[2], ids)
  if KEYS[3] and order ~= 'w' and order ~= 'h' then
    starts = records(KEYS[3], ids)
  end
end
return {members, scores, recs, starts, off, heldAt}
