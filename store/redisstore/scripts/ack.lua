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
-- then, per ack (stride 8): id, kind (1 complete, 2 retry, 3 snooze, 4 release, 5 fail),
--          now (ms), RunAt (ms), error, result, StartedAt of the run it reports ('' or '0': any),
--          KeepCompleted (complete: when > 0, the most completed jobs the tier keeps)
--
-- An ack for a job that is not active is ignored (as is one whose record is missing), and so
-- is one whose StartedAt differs from the active run's: the job was rescued and claimed again.
-- Of several acks for one job, the first applies. A job leaving the active state loses its
-- started HASH entry; a record that is kept is rewritten with its new state and fields,
-- StartedAt from the started HASH and LeaseUntil empty. A completed job with RetainMs 0
-- (header field 7 empty) is deleted without decoding its record. Released jobs go to the pop
-- end of the waiting LIST (the first released is popped first). A complete ack with
-- KeepCompleted k > 0 then deletes the tier's oldest completed jobs beyond k (completed and
-- expiry entries and records; their unique keys stay held), in ack order.
-- Wakes a waiter when a job became waiting or the earliest delayed RunAt became earlier, and
-- when any run ended while jobs wait (so a fetcher held back by a tier-wide cap, in any
-- process, claims the freed place).
-- Returns the number of acks applied.
--
-- Time: O(n · log A + t · log C), A = active jobs, t = completed jobs trimmed, C = completed
-- jobs. Needs Redis >= 6.2 (ZMSCORE).
local S = 8
local n = tonumber(ARGV[1])
local earliest = nil
local wake, looked = false, false
local done, failed = 0, 0
local released, deleted = {}, {}
local completed = nil -- ZCARD of the completed ZSET, read when a trim first needs it
-- One ZMSCORE, ZREM and HMGET for the whole batch: only acks of active jobs apply.
local ids = {}
for i = 1, n do
  ids[i] = ARGV[2 + (i - 1) * S]
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
  local want = ARGV[2 + (at[id] - 1) * S + 6]
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

-- trim deletes the oldest completed jobs beyond keep.
local function trim(keep)
  if completed == nil then
    completed = redis.call('ZCARD', KEYS[4])
  end
  if completed <= keep then
    return
  end
  local popped = redis.call('ZPOPMIN', KEYS[4], completed - keep)
  local gone = {}
  for i = 1, #popped, 2 do
    gone[#gone + 1] = popped[i]
  end
  call_all('ZREM', KEYS[5], gone)
  call_all('HDEL', KEYS[9], gone)
  completed = keep
end

for k, id in ipairs(live) do
  local rec = recs[k]
  local a = 2 + (at[id] - 1) * S
  local kind, now = ARGV[a + 1], ARGV[a + 2]
  if not rec then
    -- no record: the ZSET and started entries go, nothing else happens
  elseif kind == '1' and string.match(rec, '^[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*||') then
    -- complete, RetainMs 0: the record goes, undecoded
    done = done + 1
    deleted[#deleted + 1] = id
  else
    local h, body = head(rec, 16)
    h[6] = ''
    if startOf[id] then
      h[4] = startOf[id]
    end
    local retain = tonumber(h[7]) or 0
    if kind == '1' and retain <= 0 then
      done = done + 1
      deleted[#deleted + 1] = id
    elseif kind == '1' then
      -- complete, retained: state c until FinishedAt + RetainMs
      done = done + 1
      h[1], h[5] = 'c', now
      body = set_error_result(h, body, nil, ARGV[a + 5])
      redis.call('HSET', KEYS[9], id, unhead(h, body))
      local added = redis.call('ZADD', KEYS[4], now, id)
      if completed ~= nil then
        completed = completed + added
      end
      redis.call('ZADD', KEYS[5], tonumber(now) + retain, id)
    elseif kind == '2' or kind == '3' then
      -- retry (an attempt spent, LastError set) or snooze: delayed until RunAt
      h[1], h[3] = 'd', ARGV[a + 3]
      if kind == '2' then
        h[2] = add1(h[2])
        body = set_error_result(h, body, ARGV[a + 4], nil)
      end
      redis.call('HSET', KEYS[9], id, unhead(h, body))
      if not looked then
        local top = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
        earliest, looked = tonumber(top[2]), true
      end
      local seq = redis.call('HINCRBY', KEYS[8], 'q', 1)
      local runAt = tonumber(ARGV[a + 3])
      redis.call('ZADD', KEYS[3], runAt, string.format('%010x', seq) .. id)
      if earliest == nil or runAt < earliest then
        earliest = runAt
        wake = true
      end
    elseif kind == '4' then
      -- release: waiting again, at the pop end
      h[1] = 'w'
      redis.call('HSET', KEYS[9], id, unhead(h, body))
      released[#released + 1] = id
    else
      -- fail: state f until the dead-letter queue takes it or Clean deletes it
      failed = failed + 1
      h[1], h[2], h[5] = 'f', add1(h[2]), now
      body = set_error_result(h, body, ARGV[a + 4], nil)
      redis.call('HSET', KEYS[9], id, unhead(h, body))
      redis.call('ZADD', KEYS[6], now, id)
    end
  end
  local keep = tonumber(ARGV[a + 7]) or 0
  if rec and kind == '1' and keep > 0 then
    trim(keep)
  end
end
call_all('HDEL', KEYS[10], live)
call_all('HDEL', KEYS[9], deleted)
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
return #live
