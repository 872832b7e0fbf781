-- Undo a redemption whose event the broker did not acknowledge (only while 'pending').
-- KEYS[1] voucher hash   KEYS[2] redemption record   KEYS[3] campaign hash
-- ARGV[1] redemption id
-- Returns the redemption's state afterwards ('released' when this call released it).
local state = redis.call('HGET', KEYS[2], 'state')
if not state then return 'missing' end
if state ~= 'pending' then return state end
if redis.call('HGET', KEYS[1], 'redemption_id') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'status', 'issued')
  redis.call('HDEL', KEYS[1], 'redemption_id', 'redeemed_by', 'redeemed_at_ms')
  redis.call('HINCRBY', KEYS[3], 'redeemed', -1)
end
redis.call('HSET', KEYS[2], 'state', 'released')
return 'released'
