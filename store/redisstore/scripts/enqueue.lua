-- enqueue.lua: store jobs of one tier in one atomic step.
--
-- KEYS[1]      waiting LIST (LPUSH here, RPOP by fetch)
-- KEYS[2]      delayed ZSET (score RunAt, ms)
-- KEYS[3]      marker ZSET (wakes a BZPOPMIN waiter)
-- KEYS[4]      tier stats HASH (field q: sequence of delayed members)
-- KEYS[3+2i]   job i's HASH
-- KEYS[4+2i]   job i's unique-key STRING (job i's HASH again when it has none)
--
-- ARGV[1]      now (ms)
-- ARGV[2]      number of jobs n
-- then, per job: id, RunAt, unique expiry (ms, 0: no unique key), unique TTL (ms),
--                p = number of field/value pairs, then the p pairs of the job's HASH
--
-- A delayed member is a 10-hex-digit sequence number then the id, so that jobs with the same
-- RunAt leave the delayed ZSET in the order they entered it.
--
-- Returns an array of n strings: "" when job i was stored, else the id of the job that holds
-- its unique key (job i was not stored). Wakes a waiter when a job became waiting or the
-- earliest delayed RunAt became earlier.
--
-- Time: O(n · (fields + log D)), D = delayed jobs.
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local earliest = tonumber(head[2])
local wake = false
local seq = nil
local res = {}
local a = 3
for i = 1, n do
  local id = ARGV[a]
  local runAt = tonumber(ARGV[a + 1])
  local uexp = tonumber(ARGV[a + 2])
  local p = tonumber(ARGV[a + 4])
  local jk = KEYS[3 + 2 * i]
  local holder = nil
  if uexp > 0 then
    local uk = KEYS[4 + 2 * i]
    local h = redis.call('GET', uk)
    if h then
      local sep = string.find(h, ':', 1, true)
      if sep and tonumber(string.sub(h, sep + 1)) > now then
        holder = string.sub(h, 1, sep - 1)
      end
    end
    if not holder then
      redis.call('SET', uk, id .. ':' .. uexp, 'PX', ARGV[a + 3])
    end
  end
  if holder then
    res[i] = holder
  else
    if runAt <= now then
      redis.call('HSET', jk, 's', 'waiting', unpack(ARGV, a + 5, a + 4 + 2 * p))
      redis.call('LPUSH', KEYS[1], id)
      wake = true
    else
      redis.call('HSET', jk, 's', 'delayed', unpack(ARGV, a + 5, a + 4 + 2 * p))
      if seq == nil then
        seq = redis.call('HINCRBY', KEYS[4], 'q', n) - n
      end
      seq = seq + 1
      redis.call('ZADD', KEYS[2], runAt, string.format('%010x', seq) .. id)
      if earliest == nil or runAt < earliest then
        earliest = runAt
        wake = true
      end
    end
    res[i] = ''
  end
  a = a + 5 + 2 * p
end
if wake then
  redis.call('ZADD', KEYS[3], 0, 'm')
end
return res
