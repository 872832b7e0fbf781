-- Undo an admission whose event the broker did not acknowledge.
-- Only a claim still 'pending' with the same serial is released: once the issuer
-- has taken it, the event is in the log and the claim stands.
-- KEYS[1] campaign hash   KEYS[2] per-worker counts   KEYS[3] claim record
-- ARGV[1] worker id       ARGV[2] serial
-- Returns the claim's state afterwards ('released' when this call released it).
local rec = redis.call('HMGET', KEYS[3], 'state', 'serial')
if not rec[1] then return 'missing' end
if rec[1] ~= 'pending' or rec[2] ~= ARGV[2] then return rec[1] end
redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
redis.call('HINCRBY', KEYS[1], 'remaining', 1)
redis.call('HINCRBY', KEYS[1], 'admitted', -1)
-- A tombstone, not a delete: a late copy of the event must find it and be voided.
redis.call('HSET', KEYS[3], 'state', 'released')
return 'released'
