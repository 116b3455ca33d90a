-- ack.lua: record the outcome of runs of one tier's jobs; each job changes state atomically.
--
-- KEYS[1]    active ZSET (score LeaseUntil)
-- KEYS[2]    waiting LIST
-- KEYS[3]    delayed ZSET (score RunAt; member: 10-hex-digit sequence number, then the id)
-- KEYS[4]    completed ZSET (score FinishedAt)
-- KEYS[5]    completed-expiry ZSET (score FinishedAt + RetainMs)
-- KEYS[6]    failed ZSET (score FinishedAt)
-- KEYS[7]    marker ZSET
-- KEYS[8]    tier stats HASH (fields c: completed total, f: failed total, q: delayed sequence)
-- KEYS[8+i]  ack i's job HASH
--
-- ARGV[1]    number of acks n
-- then, per ack (stride 6): id, kind (1 complete, 2 retry, 3 snooze, 4 release, 5 fail),
--            now (ms), RunAt (ms), error, result
--
-- An ack for a job that is not active is ignored. Released jobs go to the pop end of the
-- waiting LIST (the first released is popped first). Wakes a waiter when a job became
-- waiting or the earliest delayed RunAt became earlier.
-- Returns the number of acks applied.
--
-- Time: O(n · log A), A = active jobs.
local n = tonumber(ARGV[1])
local head = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
local earliest = tonumber(head[2])
local wake = false
local done, failed, applied = 0, 0, 0
local released = {}
for i = 1, n do
  local a = 2 + (i - 1) * 6
  local id, kind, now = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local jk = KEYS[8 + i]
  if redis.call('ZREM', KEYS[1], id) == 1 then
    applied = applied + 1
    if kind == '1' then
      local keep = tonumber(redis.call('HGET', jk, 'k') or '0')
      if keep > 0 then
        redis.call('HSET', jk, 's', 'completed', 'f', now)
        redis.call('HDEL', jk, 'l')
        if ARGV[a + 5] ~= '' then
          redis.call('HSET', jk, 'x', ARGV[a + 5])
        end
        redis.call('ZADD', KEYS[4], now, id)
        redis.call('ZADD', KEYS[5], tonumber(now) + keep, id)
      else
        redis.call('DEL', jk)
      end
      done = done + 1
    elseif kind == '2' or kind == '3' then
      local runAt = tonumber(ARGV[a + 3])
      if kind == '2' then
        redis.call('HINCRBY', jk, 'n', 1)
        if ARGV[a + 4] ~= '' then
          redis.call('HSET', jk, 'e', ARGV[a + 4])
        else
          redis.call('HDEL', jk, 'e')
        end
      end
      redis.call('HSET', jk, 's', 'delayed', 'r', ARGV[a + 3])
      redis.call('HDEL', jk, 'l')
      local seq = redis.call('HINCRBY', KEYS[8], 'q', 1)
      redis.call('ZADD', KEYS[3], runAt, string.format('%010x', seq) .. id)
      if earliest == nil or runAt < earliest then
        earliest = runAt
        wake = true
      end
    elseif kind == '4' then
      redis.call('HSET', jk, 's', 'waiting')
      redis.call('HDEL', jk, 'l')
      released[#released + 1] = id
    else
      redis.call('HINCRBY', jk, 'n', 1)
      redis.call('HSET', jk, 's', 'failed', 'f', now)
      if ARGV[a + 4] ~= '' then
        redis.call('HSET', jk, 'e', ARGV[a + 4])
      else
        redis.call('HDEL', jk, 'e')
      end
      redis.call('HDEL', jk, 'l')
      redis.call('ZADD', KEYS[6], now, id)
      failed = failed + 1
    end
  end
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
if wake then
  redis.call('ZADD', KEYS[7], 0, 'm')
end
return applied
