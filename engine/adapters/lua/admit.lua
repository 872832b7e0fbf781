-- Admit one claim: window, eligibility, quota and per-worker limit in one atomic step.
-- The claim record doubles as the idempotency record: its key is derived from
-- (campaign, worker, Idempotency-Key), so a repeat finds it and gets the first answer.
-- KEYS[1] campaign hash   KEYS[2] per-worker counts   KEYS[3] eligible categories
-- KEYS[4] claim record
-- ARGV[1] worker id       ARGV[2] worker category
-- Returns {1, state, serial, face, valid_until, number} admitted | {2, state, serial} repeat
--   | {negative status}
local rec = redis.call('HMGET', KEYS[4], 'state', 'serial')
if rec[1] and rec[1] ~= 'released' then
  return {2, rec[1], tonumber(rec[2])}
end
local c = redis.call('HMGET', KEYS[1], 'status', 'opens_ms', 'closes_ms', 'remaining',
  'per_worker_limit', 'face', 'valid_until', 'number')
if not c[1] then return {-1} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if c[1] ~= 'open' or now < tonumber(c[2]) or now >= tonumber(c[3]) then return {-2} end
if redis.call('SISMEMBER', KEYS[3], ARGV[2]) == 0 then return {-3} end
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held >= tonumber(c[5]) then return {-5} end
if tonumber(c[4]) <= 0 then return {-4} end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('HINCRBY', KEYS[1], 'remaining', -1)
redis.call('HINCRBY', KEYS[1], 'admitted', 1)
local serial = redis.call('HINCRBY', KEYS[1], 'next_serial', 1)
redis.call('HSET', KEYS[4], 'state', 'pending', 'serial', serial, 'worker', ARGV[1], 'at_ms', now)
return {1, 'pending', serial, tonumber(c[6]), tonumber(c[7]), tonumber(c[8])}
