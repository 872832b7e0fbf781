-- Redeem a voucher once: issued, enrolled merchant, not expired, not yet redeemed.
-- The redemption record doubles as the idempotency record (key derived from
-- campaign, merchant and Idempotency-Key).
-- KEYS[1] voucher hash   KEYS[2] enrolled merchants   KEYS[3] redemption record
-- KEYS[4] campaign hash
-- ARGV[1] merchant id    ARGV[2] redemption id        ARGV[3] serial   ARGV[4] now (ms)
-- Returns {1, state, at_ms, face} | {2, state, at_ms, face} repeat | {-1} not issued | {-2} not enrolled
--   | {-3, merchant, at_ms} already redeemed | {-4} expired | {-6} key reused for another code
local r = redis.call('HMGET', KEYS[3], 'state', 'serial', 'at_ms', 'face')
if r[1] and r[1] ~= 'released' then
  if r[2] ~= ARGV[3] then return {-6} end
  return {2, r[1], tonumber(r[3]), tonumber(r[4])}
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return {-2} end
local v = redis.call('HMGET', KEYS[1], 'status', 'expires_at', 'redeemed_by', 'redeemed_at_ms', 'face')
if not v[1] then return {-1} end
if v[1] == 'redeemed' then return {-3, v[3], tonumber(v[4])} end
if v[1] == 'expired' then return {-4} end
local now = tonumber(ARGV[4])
if now >= tonumber(v[2]) * 1000 then return {-4} end
redis.call('HSET', KEYS[1], 'status', 'redeemed', 'redemption_id', ARGV[2],
  'redeemed_by', ARGV[1], 'redeemed_at_ms', now)
redis.call('HSET', KEYS[3], 'state', 'pending', 'serial', ARGV[3], 'merchant', ARGV[1],
  'at_ms', now, 'face', v[5])
redis.call('HINCRBY', KEYS[4], 'redeemed', 1)
return {1, 'pending', now, tonumber(v[5])}
