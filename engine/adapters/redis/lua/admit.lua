-- Admit one claim in one atomic step: lifecycle and window, category, per-worker and
-- per-period limits, released stock (waves), budget, and a partner code if pooled.
-- The claim record doubles as the idempotency record: its key is derived from
-- (campaign, worker, Idempotency-Key), so a repeat finds it and gets the first answer.
-- KEYS[1] campaign hash   KEYS[2] per-worker counts   KEYS[3] per-worker counts this period
-- KEYS[4] eligible categories   KEYS[5] claim record   KEYS[6] partner code pool
-- KEYS[7] this minute's admissions per second (for live rates)   KEYS[8] unsettled records
-- KEYS[9] the worker's refused claim requests to this campaign this minute
-- KEYS[10] the places' stock: a pick-up campaign's stations, a booking campaign's slots
-- ARGV[1] worker id   ARGV[2] category   ARGV[3] now (ms)   ARGV[4] face value (fen)
-- ARGV[5] period counter TTL (s)   ARGV[6] '1' when admitting a lottery winner
-- ARGV[7] refused claim requests a worker may make to one campaign per minute (0: no limit)
-- ARGV[8] the place taken: the station a pack is picked up at ('?' when it is chosen
--   later: choose_station.lua), the slot booked ('' for neither). A slot's terms (slot:<id>) close its booking when it starts, and its
--   voucher lasts until it ends (kept on the record as 'vu', for a resent event).
-- Returns {1, state, serial, face, valid_until, number, version, partner code}
--   | {2, state, serial, face} repeat | {-11} the key's claim was of another face value
--   | {-4, next wave ms, smallest face refused, last serial} sold out now
--     (the smallest face is 1 when the stock is gone, more when only the budget is short)
--   | {-10, seconds} over the request rate | {-12} no such station | {-13} station closed
--   | {-14} the station (slot) has no packs (places) left (others may)
--   | {-15} the slot has started | {negative status}
-- A repeat gets its first answer before the rate is counted: a retry after a lost answer,
-- or a run the adapter sent again, is the same request, not another one.
local rec = redis.call('HMGET', KEYS[5], 'state', 'serial', 'face')
if rec[1] and rec[1] ~= 'released' then
  if rec[3] and rec[3] ~= ARGV[4] then return {-11} end
  return {2, rec[1], tonumber(rec[2]), tonumber(rec[3] or '0')}
end
-- The rate is checked here, in the campaign's slot, so a claim costs one round trip. Only
-- refusals count against it: an admission is bounded by the worker's limits already, and a
-- counter per admitted claim cost the burst 88 bytes a claim (docs/BENCHMARKS.md).
local allowance = tonumber(ARGV[7])
if allowance > 0 and tonumber(redis.call('GET', KEYS[9]) or '0') >= allowance then
  return {-10, math.max(1, redis.call('TTL', KEYS[9]))}
end
local function refused(reply)
  if allowance > 0 and redis.call('INCR', KEYS[9]) == 1 then
    redis.call('EXPIRE', KEYS[9], 60)
  end
  return reply
end
local status, opens_ms, closes_ms, quota, admitted, per_worker_limit, period_limit,
  valid_until, number, version, budget, spent, waves, rollover, reclaimed, pool, lottery,
  last_serial =
  unpack(redis.call('HMGET', KEYS[1], 'status', 'opens_ms', 'closes_ms', 'quota', 'admitted',
    'per_worker_limit', 'period_limit', 'valid_until', 'number', 'version', 'budget', 'spent',
    'waves', 'rollover', 'reclaimed', 'pool', 'lottery', 'next_serial'))
local station = ARGV[8]
if not status then return refused({-1}) end
local now = tonumber(ARGV[3])
if ARGV[6] == '1' then
  if status ~= 'open' and status ~= 'scheduled' then return refused({-2}) end
else
  if lottery == '1' then return refused({-8}) end
  if (status ~= 'open' and status ~= 'scheduled')
    or now < tonumber(opens_ms) or now >= tonumber(closes_ms) then return refused({-2}) end
end
if redis.call('SISMEMBER', KEYS[4], ARGV[2]) == 0 then return refused({-3}) end
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held >= tonumber(per_worker_limit) then return refused({-5}) end
period_limit = tonumber(period_limit)
if period_limit > 0 then
  local in_period = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
  if in_period >= period_limit then return refused({-6}) end
end
local slot_ends = nil
if station ~= '' and station ~= '?' then
  local place = redis.call('HMGET', KEYS[10], station, 'closed:' .. station, 'slot:' .. station)
  if not place[1] then return refused({-12}) end
  if place[2] then return refused({-13}) end
  if place[3] then
    local starts_ms, ends_s = string.match(place[3], '^(%d+)|(%d+)|')
    if now >= tonumber(starts_ms) then return refused({-15}) end
    slot_ends = ends_s
    valid_until = ends_s
  end
  if tonumber(place[1]) <= 0 then return refused({-14}) end
end

-- Stock released so far: all of it, or the waves whose time has come.
admitted, reclaimed = tonumber(admitted), tonumber(reclaimed)
last_serial = tonumber(last_serial or '0')
rollover = rollover == '1'
local wave, available = 0, 0
if waves == '' then
  available = tonumber(quota) - admitted + (rollover and reclaimed or 0)
else
  local released, current, next_at = 0, 0, 0
  for at, qty in string.gmatch(waves, '(%d+):(%d+)') do
    if tonumber(at) <= now then
      wave = wave + 1
      released = released + tonumber(qty)
      current = tonumber(qty)
    elseif next_at == 0 then
      next_at = tonumber(at)
    end
  end
  if wave == 0 then return refused({-4, next_at, 1, last_serial}) end
  if rollover then
    available = released + reclaimed - admitted
  else
    available = current - tonumber(redis.call('HGET', KEYS[1], 'wave_admitted:' .. wave) or '0')
  end
  if available <= 0 then return refused({-4, next_at, 1, last_serial}) end
end
if available <= 0 then return refused({-4, 0, 1, last_serial}) end
local face = tonumber(ARGV[4])
budget = tonumber(budget)
spent = tonumber(spent)
if budget > 0 and spent + face > budget then
  return refused({-4, 0, budget - spent + 1, last_serial})
end
local code = ''
if pool == '1' then
  code = redis.call('SPOP', KEYS[6])
  if not code then return refused({-4, 0, 1, last_serial}) end
end

redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if station ~= '' and station ~= '?' then redis.call('HINCRBY', KEYS[10], station, -1) end
if period_limit > 0 then
  redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[5]), 'NX')
end
redis.call('HINCRBY', KEYS[1], 'admitted', 1)
redis.call('HINCRBY', KEYS[1], 'spent', face)
if wave > 0 then redis.call('HINCRBY', KEYS[1], 'wave_admitted:' .. wave, 1) end
local serial = redis.call('HINCRBY', KEYS[1], 'next_serial', 1)
local second = tostring(math.floor(now / 1000))
redis.call('HINCRBY', KEYS[7], second, 1)
redis.call('HINCRBY', KEYS[7], second .. ':fen', face)
redis.call('EXPIRE', KEYS[7], 180, 'NX')
-- The definition's version too: a lost log is sent again from this record. A wave and a
-- partner code only when there is one: every byte of a record is paid once per claim.
redis.call('HSET', KEYS[5], 'state', 'pending', 'serial', serial, 'worker', ARGV[1],
  'at_ms', now, 'face', face, 'v', version)
if wave > 0 then redis.call('HSET', KEYS[5], 'wave', wave) end
if code ~= '' then redis.call('HSET', KEYS[5], 'pcode', code) end
if station ~= '' then redis.call('HSET', KEYS[5], 'station', station) end
if slot_ends then redis.call('HSET', KEYS[5], 'vu', slot_ends) end
-- Until the broker acknowledges it, the claim is unsettled; a repair job releases those
-- left behind by an API process that died in between.
redis.call('ZADD', KEYS[8], now, KEYS[5])
return {1, 'pending', serial, face, tonumber(valid_until), tonumber(number), tonumber(version), code}
