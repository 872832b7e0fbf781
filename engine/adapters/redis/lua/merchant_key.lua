-- Who a merchant API key stands for, and the request counted against its rate, in one
-- step: every merchant request pays one round trip for both.
-- KEYS[1] the key's cached identity (or its tombstone)   KEYS[2] its request counter
-- ARGV[1] window (s)   ARGV[2] requests allowed per window   ARGV[3] the tombstone
-- Returns {cached value or '', seconds to wait when over the allowance else 0}.
-- Only a cached, unrevoked key is counted: a wrong key is the credential guard's business,
-- and a key PostgreSQL must resolve first is counted when it is asked again.
local value = redis.call('GET', KEYS[1])
if not value then return {'', 0} end
if value == ARGV[3] then return {value, 0} end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], tonumber(ARGV[1])) end
if n > tonumber(ARGV[2]) then return {value, redis.call('TTL', KEYS[2])} end
return {value, 0}
