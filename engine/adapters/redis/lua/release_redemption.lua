-- Undo a redemption whose event the broker did not acknowledge (only while 'pending').
-- KEYS[1] voucher hash   KEYS[2] redemption record   KEYS[3] campaign hash
-- KEYS[4] unsettled records
-- Returns the redemption's state afterwards ('released' when this call released it).
local r = redis.call('HMGET', KEYS[2], 'state', 'amount', 'order', 'face')
if not r[1] then return 'missing' end
if r[1] ~= 'pending' then return r[1] end
local amount = tonumber(r[2])
-- A discount (an 'order' on the record) spent the whole voucher.
local used = amount
if r[3] then used = tonumber(r[4]) end
if redis.call('HGET', KEYS[1], 'status') == 'redeemed' then
  redis.call('HSET', KEYS[1], 'status', 'issued')
  redis.call('HINCRBY', KEYS[3], 'redeemed', -1)
end
redis.call('HINCRBY', KEYS[1], 'balance', used)
redis.call('HINCRBY', KEYS[3], 'redeemed_fen', -amount)
redis.call('HSET', KEYS[2], 'state', 'released')
redis.call('ZREM', KEYS[4], KEYS[2])
return 'released'
