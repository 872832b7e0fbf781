-- Undo a reversal whose event the broker did not acknowledge (only while 'pending').
-- KEYS[1] voucher hash   KEYS[2] redemption record   KEYS[3] reversal record
-- KEYS[4] campaign hash   KEYS[5] unsettled records
-- Returns the reversal's state afterwards: 'released' when this call released it, or
-- 'spent' when the refunded amount was redeemed again meanwhile: undoing it would make
-- the balance negative, so it stays pending and must be completed (its event published).
local rv = redis.call('HMGET', KEYS[3], 'state', 'amount')
if not rv[1] then return 'missing' end
if rv[1] ~= 'pending' then return rv[1] end
local amount = tonumber(rv[2])
-- Reversing a discount (an 'order' on the redemption) gave the whole voucher back.
local r = redis.call('HMGET', KEYS[2], 'order', 'face')
local used = amount
if r[1] then used = tonumber(r[2]) end
if tonumber(redis.call('HGET', KEYS[1], 'balance') or '0') < used then return 'spent' end
local balance = redis.call('HINCRBY', KEYS[1], 'balance', -used)
if balance == 0 and redis.call('HGET', KEYS[1], 'status') == 'issued' then
  redis.call('HSET', KEYS[1], 'status', 'redeemed')
  redis.call('HINCRBY', KEYS[4], 'redeemed', 1)
end
redis.call('HINCRBY', KEYS[2], 'refunded', -amount)
redis.call('HINCRBY', KEYS[4], 'reversed_fen', -amount)
redis.call('HSET', KEYS[3], 'state', 'released')
redis.call('ZREM', KEYS[5], KEYS[3])
return 'released'
