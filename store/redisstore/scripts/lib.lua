-- lib.lua: the job record codec, prepended to every other script (not a script by itself).
--
-- A job is one field of its tier's jobs HASH: id -> record. A record is a string of 16 header
-- fields, each followed by '|', then the body: Type, UniqueKey, LastError, Result and Payload
-- bytes back to back (header fields 13-16 give the first four lengths; Payload is the rest).
-- Numeric fields are decimal, and empty when zero. Header fields:
--   1 state (w waiting, d delayed, c completed, f failed; an active job's record keeps w)
--   2 Attempts   3 RunAt   4 StartedAt   5 FinishedAt   6 LeaseUntil   7 RetainMs
--   8 MaxAttempts   9 TimeoutMs   10 BackoffMs   11 CreatedAt   12 UniqueTTLMs
--   13-16 lengths of Type, UniqueKey, LastError, Result
-- Fetch and ExtendLeases do not rewrite a record (an active job's StartedAt and LeaseUntil
-- live in the started HASH and the active ZSET); the fields the other changes edit come first
-- (release and rescue split off 6), and RetainMs is field 7, so a completion tests it with one
-- pattern match.

-- head returns the record's first k header fields (strings) and the rest of the record.
-- Time: O(k + size of the record).
local function head(rec, k)
  local h, p = {}, 1
  for i = 1, k do
    local q = string.find(rec, '|', p, true)
    h[i] = string.sub(rec, p, q - 1)
    p = q + 1
  end
  return h, string.sub(rec, p)
end

-- TYPE_AT matches a record's header up to Type's length (field 13), capturing that length,
-- and the rest of the header, capturing where the body (Type first) begins.
local TYPE_AT = '^' .. string.rep('[^|]*|', 12) .. '(%d*)|[^|]*|[^|]*|[^|]*|()'

-- job_type returns the Type of a record without copying the rest of it (its payload).
-- Time: O(size of the header).
local function job_type(rec)
  local tl, at = string.match(rec, TYPE_AT)
  return string.sub(rec, at, at + (tonumber(tl) or 0) - 1)
end

-- unhead joins header fields h and the rest of a record back into a record.
local function unhead(h, rest)
  return table.concat(h, '|') .. '|' .. rest
end

-- set_error_result returns the body of a record whose full header is h (all 16 fields) with
-- LastError replaced by err and Result by res (nil keeps one), updating h's lengths.
local function set_error_result(h, body, err, res)
  local tl, ul = tonumber(h[13]) or 0, tonumber(h[14]) or 0
  local el, xl = tonumber(h[15]) or 0, tonumber(h[16]) or 0
  local a = tl + ul
  local e = err or string.sub(body, a + 1, a + el)
  local x = res or string.sub(body, a + el + 1, a + el + xl)
  h[15] = #e > 0 and tostring(#e) or ''
  h[16] = #x > 0 and tostring(#x) or ''
  return string.sub(body, 1, a) .. e .. x .. string.sub(body, a + el + xl + 1)
end

-- add1 returns a numeric header field plus one.
local function add1(s)
  return tostring((tonumber(s) or 0) + 1)
end

-- call_all runs cmd on key with the items of list, at most 1000 per call (Lua's unpack has a
-- limit), and keeps pairs together. Time: O(#list).
local function call_all(cmd, key, list)
  for i = 1, #list, 1000 do
    redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list)))
  end
end

-- records returns the records of ids from the jobs HASH key (false for a missing one), with
-- HMGET calls of at most 1000 ids. Time: O(#ids).
local function records(key, ids)
  local out = {}
  for i = 1, #ids, 1000 do
    local part = redis.call('HMGET', key, unpack(ids, i, math.min(i + 999, #ids)))
    for k = 1, #part do
      out[i + k - 1] = part[k]
    end
  end
  return out
end
