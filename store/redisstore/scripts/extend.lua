-- extend.lua: renew the leases of those of a tier's jobs that are still active.
--
-- KEYS[1]    active ZSET (score LeaseUntil)
--
-- ARGV[1]    the new LeaseUntil (ms)
-- ARGV[1+i]  job i's id
--
-- LeaseUntil lives only in the active ZSET (job records are not rewritten while active), so
-- only the scores of ids already in it change.
-- Returns the number of leases renewed.
--
-- Time: O(n · log A), A = active jobs. Needs Redis >= 6.2 (ZMSCORE).
local renewed = 0
for i = 2, #ARGV, 500 do
  local scores = redis.call('ZMSCORE', KEYS[1], unpack(ARGV, i, math.min(i + 499, #ARGV)))
  local args = {}
  for k = 1, #scores do
    if scores[k] then
      args[#args + 1] = ARGV[1]
      args[#args + 1] = ARGV[i + k - 1]
    end
  end
  if #args > 0 then
    redis.call('ZADD', KEYS[1], 'XX', unpack(args))
    renewed = renewed + #args / 2
  end
end
return renewed
