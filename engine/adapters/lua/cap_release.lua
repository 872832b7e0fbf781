-- Give back a cap reservation whose claim was refused or released.
-- KEYS[1] group spending this period   KEYS[2] reservation record   ARGV[1] worker id
-- Returns 1 when released now, 0 when there was nothing to release.
local amount = redis.call('GET', KEYS[2])
if not amount then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(amount))
redis.call('DEL', KEYS[2])
return 1
