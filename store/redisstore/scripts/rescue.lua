-- rescue.lua: return a tier's active jobs whose lease expired to waiting, no attempt spent.
--
-- KEYS[1]  active ZSET (score LeaseUntil)
-- KEYS[2]  waiting LIST
-- KEYS[3]  marker ZSET
-- KEYS[4]  jobs HASH (id -> record)
-- KEYS[5]  started HASH (id -> StartedAt of an active job)
--
-- ARGV[1]  now (ms): jobs with LeaseUntil < now are rescued, with RunAt = now
-- ARGV[2]  most jobs to look at in this call
--
-- Each rescued record is rewritten in state w with RunAt = now, StartedAt from the started
-- HASH (whose entry goes; the next fetch starts the job later than it) and LeaseUntil empty,
-- and its id goes to the back of the waiting LIST. An expired id without a record leaves the
-- active ZSET and the started HASH and is not pushed.
-- Returns {jobs moved, expired ids looked at} (the caller calls again while the second equals
-- ARGV[2]). Wakes a waiter when it moved any.
--
-- Time: O(m · log A), m = expired ids looked at, A = active jobs.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then
  return {0, 0}
end
local recs = records(KEYS[4], ids)
local starts = records(KEYS[5], ids)
local fields, push = {}, {}
for i, id in ipairs(ids) do
  if recs[i] then
    local h, rest = head(recs[i], 6)
    h[1], h[3], h[6] = 'w', ARGV[1], ''
    if starts[i] then
      h[4] = starts[i]
    end
    fields[#fields + 1] = id
    fields[#fields + 1] = unhead(h, rest)
    push[#push + 1] = id
  end
end
call_all('ZREM', KEYS[1], ids)
call_all('HDEL', KEYS[5], ids)
if #push > 0 then
  call_all('HSET', KEYS[4], fields)
  call_all('LPUSH', KEYS[2], push)
  redis.call('ZADD', KEYS[3], 0, 'm')
end
return {#push, #ids}
