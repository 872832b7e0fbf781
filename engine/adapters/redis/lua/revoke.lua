-- Revoke a voucher that still has value: it can no longer be redeemed.
-- KEYS[1] voucher hash   KEYS[2] campaign hash   ARGV[1] reason
-- Returns 1 revoked now | 0 already revoked | -1 unknown | -2 fully redeemed | -3 expired
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -1 end
if status == 'revoked' then return 0 end
if status == 'redeemed' then return -2 end
if status == 'expired' then return -3 end
redis.call('HSET', KEYS[1], 'status', 'revoked', 'revoked_reason', ARGV[1])
redis.call('HINCRBY', KEYS[2], 'revoked', 1)
return 1
