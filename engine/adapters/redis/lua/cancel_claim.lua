-- Withdraw an issued claim that was never used: a booking its worker cancels before the
-- slot's deadline (the caller checks the time), a payout operations cancel. Its voucher
-- is revoked and everything the admission counted goes back at once (quota, budget, the
-- worker's limits, and a slot's place), so another worker may claim it.
-- KEYS[1] campaign hash   KEYS[2] per-worker counts
-- KEYS[3] per-worker counts of the period the claim was admitted in
-- KEYS[4] claim record    KEYS[5] voucher hash   KEYS[6] the places' stock
-- ARGV[1] worker id   ARGV[2] the revocation's reason
-- Returns 1 cancelled now | 0 cancelled before | -1 no voucher under this claim
--   | -2 checked in (redeemed) | -3 expired | -4 revoked by operations
local v = redis.call('HMGET', KEYS[5], 'status', 'claim_id', 'face', 'balance', 'revoked_reason')
local rec = redis.call('HMGET', KEYS[4], 'state', 'worker', 'face', 'wave', 'station')
if not v[1] or not rec[1] or rec[2] ~= ARGV[1] then return -1 end
if rec[1] == 'cancelled' then return 0 end
if v[1] == 'revoked' then return -4 end
if v[1] == 'expired' then return -3 end
if v[1] == 'redeemed' or v[4] ~= v[3] then return -2 end
redis.call('HSET', KEYS[5], 'status', 'revoked', 'revoked_reason', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'revoked', 1)
redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[3], ARGV[1], -1)
end
redis.call('HINCRBY', KEYS[1], 'admitted', -1)
redis.call('HINCRBY', KEYS[1], 'spent', -tonumber(rec[3]))
if rec[4] and rec[4] ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'wave_admitted:' .. rec[4], -1)
end
if rec[5] and rec[5] ~= '?' then redis.call('HINCRBY', KEYS[6], rec[5], 1) end
redis.call('HSET', KEYS[4], 'state', 'cancelled')
return 1
