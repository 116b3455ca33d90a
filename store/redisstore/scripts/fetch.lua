-- fetch.lua: claim up to Limit runnable jobs of one tier.
--
-- KEYS[1]  waiting LIST
-- KEYS[2]  delayed ZSET (score RunAt; member: 10-hex-digit sequence number, then the id)
-- KEYS[3]  active ZSET (score LeaseUntil)
-- KEYS[4]  marker ZSET
-- KEYS[5]  tier stats HASH (field p: paused)
-- KEYS[6]  job key prefix: a job's HASH is KEYS[6] .. id. It carries the tier's hash tag, so
--          every job key lies in the same cluster slot as KEYS[1..5]. Fetch cannot name the
--          jobs it will pop in advance, hence this one documented exception.
--
-- ARGV[1]  now (ms)
-- ARGV[2]  limit: most jobs to claim
-- ARGV[3]  LeaseUntil for the claimed jobs (ms)
-- ARGV[4]  cap: tier-wide cap on active jobs, 0 for none
-- ARGV[5]  most delayed jobs to promote in this call
--
-- Returns {paused (0|1), NextRunAt (0: no delayed job), id1, {field, value, ...}, id2, ...}.
-- Re-adds the marker when waiting jobs remain, so another blocked process wakes too.
--
-- Time: O(limit · fields + promoted · log D), D = delayed jobs.
if redis.call('HEXISTS', KEYS[5], 'p') == 1 then
  return {1, 0}
end
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))
if #due > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, #due - 1)
  for i, member in ipairs(due) do
    local id = string.sub(member, 11)
    due[i] = id
    redis.call('HSET', KEYS[6] .. id, 's', 'waiting')
  end
  redis.call('LPUSH', KEYS[1], unpack(due))
end
local n = tonumber(ARGV[2])
local cap = tonumber(ARGV[4])
if cap > 0 then
  local room = cap - redis.call('ZCARD', KEYS[3])
  if room < n then
    n = room
  end
end
local out = {0, 0}
if n > 0 then
  local ids = redis.call('RPOP', KEYS[1], n)
  if ids then
    local lease = ARGV[3]
    for _, id in ipairs(ids) do
      local jk = KEYS[6] .. id
      redis.call('HSET', jk, 's', 'active', 'g', ARGV[1], 'l', lease)
      redis.call('ZADD', KEYS[3], lease, id)
      out[#out + 1] = id
      out[#out + 1] = redis.call('HGETALL', jk)
    end
  end
  if redis.call('LLEN', KEYS[1]) > 0 then
    redis.call('ZADD', KEYS[4], 0, 'm')
  end
end
local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if head[2] then
  out[2] = tonumber(head[2])
end
return out
