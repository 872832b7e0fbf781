-- Give back a cap reservation whose claim was refused, released or never admitted.
-- KEYS[1] group spending this period   KEYS[2] reservation record
-- KEYS[3] the group's unsettled reservations   ARGV[1] worker id   ARGV[2] claim id
-- Returns 1 when released now, 0 when there was nothing to release.
redis.call('ZREM', KEYS[3], ARGV[2])
local amount = redis.call('HGET', KEYS[2], 'amount')
if not amount then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(amount))
redis.call('DEL', KEYS[2])
return 1
