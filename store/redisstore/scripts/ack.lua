-- ack.lua: record the outcome of runs of one tier's jobs; each job changes state atomically.
--
-- KEYS[1]   active ZSET (score LeaseUntil)
-- KEYS[2]   waiting LIST
-- KEYS[3]   delayed ZSET (score RunAt; member: 10-hex-digit sequence number, then the id)
-- KEYS[4]   completed ZSET (score FinishedAt)
-- KEYS[5]   completed-expiry ZSET (score FinishedAt + RetainMs)
-- KEYS[6]   failed ZSET (score FinishedAt)
-- KEYS[7]   marker ZSET
-- KEYS[8]   tier stats HASH (fields c: completed total, f: failed total, q: delayed sequence)
-- KEYS[9]   jobs HASH (id -> record)
-- KEYS[10]  started HASH (id -> StartedAt of an active job)
--
-- ARGV[1]  number of acks n
-- then, per ack (stride 7): id, kind (1 complete, 2 retry, 3 snooze, 4 release, 5 fail),
--          now (ms), RunAt (ms), error, result, StartedAt of the run it reports ('' or '0': any)
--
-- An ack for a job that is not active is ignored (as is one whose record is missing), and so
-- is one whose StartedAt differs from the active run's: the job was rescued and claimed again. A job
-- leaving the active state loses its started HASH entry; a record that is kept is rewritten
-- with its new state and fields, StartedAt from the started HASH and LeaseUntil empty. A
-- completed job with RetainMs 0 (header field 7 empty) is deleted without decoding its record.
-- Released jobs go to the pop end of the waiting LIST (the first released is popped first).
-- Wakes a waiter when a job became waiting or the earliest delayed RunAt became earlier, and
-- when any run ended while jobs wait (so a fetcher held back by a tier-wide cap, in any
-- process, claims the freed place).
-- Returns the number of acks applied.
--
-- Time: O(n · log A), A = active jobs. Needs Redis >= 6.2 (ZMSCORE).
local n = tonumber(ARGV[1])
local earliest = nil
local wake, looked = false, false
local done, failed, applied = 0, 0, 0
local released, deleted, kept = {}, {}, {}
-- One ZMSCORE, ZREM and HMGET for the whole batch: only acks of active jobs apply.
local ids = {}
for i = 1, n do
  ids[i] = ARGV[2 + (i - 1) * 7]
end
local scores = {}
for i = 1, n, 1000 do
  local part = redis.call('ZMSCORE', KEYS[1], unpack(ids, i, math.min(i + 999, n)))
  for k = 1, #part do
    scores[i + k - 1] = part[k]
  end
end
local cand, at = {}, {}
for i = 1, n do
  if scores[i] and not at[ids[i]] then
    cand[#cand + 1] = ids[i]
    at[ids[i]] = i
  end
end
if #cand == 0 then
  return 0
end
-- Fencing: an ack naming a run's StartedAt applies only to that run.
local cstarts = records(KEYS[10], cand)
local live, startOf = {}, {}
for k, id in ipairs(cand) do
  local want = ARGV[2 + (at[id] - 1) * 7 + 6]
  if want == '' or want == '0' or want == cstarts[k] then
    live[#live + 1] = id
    startOf[id] = cstarts[k]
  end
end
if #live == 0 then
  return 0
end
call_all('ZREM', KEYS[1], live)
local recs = records(KEYS[9], live)
-- Completions of jobs with RetainMs 0 need no more than their ids; the rest are rewritten.
for k, id in ipairs(live) do
  local rec = recs[k]
  if rec then
    if ARGV[2 + (at[id] - 1) * 7 + 1] == '1' and string.match(rec, '^[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*||') then
      deleted[#deleted + 1] = id
    else
      kept[#kept + 1] = k
    end
  end
end
applied, done = #live, #deleted
for _, k in ipairs(kept) do
  local id = live[k]
  local a = 2 + (at[id] - 1) * 7
  local kind, now = ARGV[a + 1], ARGV[a + 2]
  local rec = recs[k]
  local h, body = head(rec, 16)
  h[6] = ''
  if startOf[id] then
    h[4] = startOf[id]
  end
  if kind == '1' then
    done = done + 1
    local keep = tonumber(h[7]) or 0
    if keep > 0 then
      h[1], h[5] = 'c', now
      body = set_error_result(h, body, nil, ARGV[a + 5])
      redis.call('HSET', KEYS[9], id, unhead(h, body))
      redis.call('ZADD', KEYS[4], now, id)
      redis.call('ZADD', KEYS[5], tonumber(now) + keep, id)
    else
      deleted[#deleted + 1] = id
    end
  elseif kind == '2' or kind == '3' then
    h[1], h[3] = 'd', ARGV[a + 3]
    if kind == '2' then
      h[2] = add1(h[2])
      body = set_error_result(h, body, ARGV[a + 4], nil)
    end
    redis.call('HSET', KEYS[9], id, unhead(h, body))
    if not looked then
      local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
      earliest, looked = tonumber(first[2]), true
    end
    local seq = redis.call('HINCRBY', KEYS[8], 'q', 1)
    local runAt = tonumber(ARGV[a + 3])
    redis.call('ZADD', KEYS[3], runAt, string.format('%010x', seq) .. id)
    if earliest == nil or runAt < earliest then
      earliest = runAt
      wake = true
    end
  elseif kind == '4' then
    h[1] = 'w'
    redis.call('HSET', KEYS[9], id, unhead(h, body))
    released[#released + 1] = id
  else
    failed = failed + 1
    h[1], h[2], h[5] = 'f', add1(h[2]), now
    body = set_error_result(h, body, ARGV[a + 4], nil)
    redis.call('HSET', KEYS[9], id, unhead(h, body))
    redis.call('ZADD', KEYS[6], now, id)
  end
end
call_all('HDEL', KEYS[10], live)
if #deleted > 0 then
  call_all('HDEL', KEYS[9], deleted)
end
for i = #released, 1, -1 do
  redis.call('RPUSH', KEYS[2], released[i])
  wake = true
end
if done > 0 then
  redis.call('HINCRBY', KEYS[8], 'c', done)
end
if failed > 0 then
  redis.call('HINCRBY', KEYS[8], 'f', failed)
end
-- A freed place wakes the tier while jobs wait: a fetcher held back by a cap claims it.
if not wake and redis.call('LLEN', KEYS[2]) > 0 then
  wake = true
end
if wake then
  redis.call('ZADD', KEYS[7], 0, 'm')
end
return applied
