-- A stream worker takes the record behind an event before writing its effect,
-- so the API can no longer release it. Replays find it taken and go on (idempotent).
-- KEYS[1] record   KEYS[2] unsettled records   ARGV[1] serial carried by the event
-- Returns 'taken' | a later state (replay) | 'released' or 'stale' (void event) | 'missing'
local rec = redis.call('HMGET', KEYS[1], 'state', 'serial')
if not rec[1] then return 'missing' end
if rec[2] ~= ARGV[1] then return 'stale' end
if rec[1] == 'pending' or rec[1] == 'acked' then
  redis.call('ZREM', KEYS[2], KEYS[1])
  redis.call('HSET', KEYS[1], 'state', 'taken')
  return 'taken'
end
return rec[1]
