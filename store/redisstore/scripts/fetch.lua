-- fetch.lua: claim up to Limit runnable jobs of one tier.
--
-- KEYS[1]  waiting LIST
-- KEYS[2]  delayed ZSET (score RunAt; member: 10-hex-digit sequence number, then the id)
-- KEYS[3]  active ZSET (score LeaseUntil)
-- KEYS[4]  marker ZSET
-- KEYS[5]  tier stats HASH (field p: paused)
-- KEYS[6]  jobs HASH (id -> record)
-- KEYS[7]  started HASH (id -> StartedAt of an active job)
--
-- ARGV[1]  now (ms)
-- ARGV[2]  limit: most jobs to claim, at least 1
-- ARGV[3]  LeaseUntil for the claimed jobs (ms)
-- ARGV[4]  cap: tier-wide cap on active jobs, 0 for none
-- ARGV[5]  most delayed jobs to promote in this call, at least 1
--
-- Due delayed jobs (RunAt <= now) become waiting first: their records get state w and their
-- ids go to the back of the waiting LIST (an id without a record is dropped). A claimed job's
-- record is not rewritten: it becomes active by entering the active ZSET (score LeaseUntil)
-- and the started HASH, which is where Get reads its state, LeaseUntil and StartedAt from
-- while it is active. Its StartedAt is now, or one more than the previous run's StartedAt
-- (record header field 4) when that is not earlier than now, so every run of a job has its
-- own StartedAt (the fence of ack.lua); the caller computes the same from the record.
-- Returns {paused (0|1), NextRunAt (0: no delayed job), {id1, ...}, {record1, ...}}; a
-- record is false (and its id dropped, not claimed) when the id has no record. An error
-- reply when a limit is below 1.
-- Re-adds the marker when waiting jobs remain, so another blocked process wakes too.
--
-- Time: O(limit + promoted · log D), D = delayed jobs. Needs Redis >= 6.2 (RPOP with count).
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
local ids = redis.call('RPOP', KEYS[1], n)
if not ids then
  return {0, nextRunAt}
end
local recs = records(KEYS[6], ids)
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
if #ids == n and redis.call('LLEN', KEYS[1]) > 0 then
  redis.call('ZADD', KEYS[4], 0, 'm')
end
return {0, nextRunAt, ids, recs}
