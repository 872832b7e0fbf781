-- Mark an unredeemed voucher expired and count its stock as reclaimed (once).
-- KEYS[1] voucher hash   KEYS[2] campaign hash
-- Returns 1 when this call expired it, 0 when it was redeemed, expired or unknown.
if redis.call('HGET', KEYS[1], 'status') ~= 'issued' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'expired')
redis.call('HINCRBY', KEYS[2], 'expired', 1)
redis.call('HINCRBY', KEYS[2], 'reclaimed', 1)
return 1
