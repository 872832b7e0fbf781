-- Undo an admission whose event the broker did not acknowledge.
-- Only a claim still 'pending' with the same serial is released: once the issuer
-- has taken it, the event is in the log and the claim stands.
-- KEYS[1] campaign hash   KEYS[2] per-worker counts   KEYS[3] per-worker counts this period
-- KEYS[4] claim record    KEYS[5] partner code pool   KEYS[6] unsettled records
-- KEYS[7] the stations' stock
-- ARGV[1] worker id       ARGV[2] serial
-- Returns the claim's state afterwards ('released' when this call released it).
local rec = redis.call('HMGET', KEYS[4], 'state', 'serial', 'face', 'wave', 'pcode', 'station')
if not rec[1] then return 'missing' end
if rec[1] ~= 'pending' or rec[2] ~= ARGV[2] then return rec[1] end
redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[3], ARGV[1], -1)
end
redis.call('HINCRBY', KEYS[1], 'admitted', -1)
redis.call('HINCRBY', KEYS[1], 'spent', -tonumber(rec[3]))
-- A wave and a partner code are on the record only when the claim has one.
if rec[4] and rec[4] ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'wave_admitted:' .. rec[4], -1)
end
if rec[5] and rec[5] ~= '' then redis.call('SADD', KEYS[5], rec[5]) end
if rec[6] and rec[6] ~= '?' then redis.call('HINCRBY', KEYS[7], rec[6], 1) end
-- A tombstone, not a delete: a late copy of the event must find it and be voided.
redis.call('HSET', KEYS[4], 'state', 'released')
redis.call('ZREM', KEYS[6], KEYS[4])
return 'released'
