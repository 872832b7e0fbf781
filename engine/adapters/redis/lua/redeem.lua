-- Redeem a voucher: issued, enrolled merchant, not expired, enough balance left.
-- A single-use voucher is redeemed whole, once; a stored-value one in parts until
-- its balance is spent. The redemption record doubles as the idempotency record
-- (key derived from campaign, merchant and Idempotency-Key).
-- KEYS[1] voucher hash   KEYS[2] enrolled merchants   KEYS[3] redemption record
-- KEYS[4] campaign hash   KEYS[5] this minute's redemptions per second (live rates)
-- KEYS[6] unsettled records
-- ARGV[1] merchant id   ARGV[2] redemption id   ARGV[3] serial   ARGV[4] time (ms)
-- ARGV[5] amount (fen; 0 = the whole balance)   ARGV[6] store id   ARGV[7] terminal id
-- ARGV[8] the presented code's digest, compared with the issued code's ('' when the
--   caller verified the code's signature instead)
-- ARGV[9] the request's digest (code, amount, store, terminal): kept on the record, and a
--   repeat of its key with another request is refused (the caller's slot binds the key
--   first; this holds within the campaign even where that binding was lost)
-- ARGV[10] the order's amount (fen) of a discount voucher, '0' for any other: the amount
--   is then the discount granted, and it spends the whole voucher (its 'order' is kept on
--   the record, and a reversal gives the whole voucher back)
-- Returns {1, state, at_ms, amount, balance after, face, order} | {2, ...the same, repeat}
--   | {-1} not issued | {-2} not enrolled | {-3, merchant, at_ms} nothing left
--   | {-4} expired | {-5} revoked | {-6} key reused for another request
--   | {-7, balance} amount not allowed | {-8} not the code issued for this serial
--   | {-9} no campaign state (Redis lost, not rebuilt)
--   | {-12, station} a pack handed out at another station (a booking checked in by
--     another provider's store)   | {-13, from ms} a booking checked in before its time
--   | {-14} a pack whose station is still to be chosen
--   | {-11} no digest to compare (not issued yet, or rebuilt from PostgreSQL): the caller
--     verifies the signature and asks again without a digest
-- Without the campaign's state every other record may be gone too: answer nothing.
if not redis.call('HGET', KEYS[4], 'status') then return {-9} end
-- The digests are SHA-256 of what the caller presents: how long a comparison takes tells
-- them nothing about the issued code (no one can steer a hash's leading bytes), so a plain
-- comparison here is as safe as a constant-time one and keeps the decision atomic.
if ARGV[8] ~= '' then
  local digest = redis.call('HGET', KEYS[1], 'digest')
  if not digest or digest == '' then return {-11} end
  if digest ~= ARGV[8] then return {-8} end
end
local r = redis.call('HMGET', KEYS[3], 'state', 'serial', 'at_ms', 'amount', 'balance', 'face',
  'req', 'order')
if r[1] and r[1] ~= 'released' then
  if r[2] ~= ARGV[3] or (r[7] and ARGV[9] ~= '' and r[7] ~= ARGV[9]) then return {-6} end
  return {2, r[1], tonumber(r[3]), tonumber(r[4]), tonumber(r[5]), tonumber(r[6]),
    tonumber(r[8] or '0')}
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return {-2} end
local v = redis.call('HMGET', KEYS[1], 'status', 'expires_at', 'redeemed_by', 'redeemed_at_ms',
  'face', 'balance', 'stored', 'station', 'from')
if not v[1] then return {-1} end
if v[8] == '?' then return {-14} end
if v[8] and v[8] ~= ARGV[6] then return {-12, v[8]} end
if v[1] == 'expired' then return {-4} end
if v[1] == 'revoked' then return {-5} end
if v[1] == 'redeemed' then return {-3, v[3], tonumber(v[4])} end
local now = tonumber(ARGV[4])
if now >= tonumber(v[2]) * 1000 then return {-4} end
if v[9] and now < tonumber(v[9]) then return {-13, tonumber(v[9])} end
local balance = tonumber(v[6])
local amount = tonumber(ARGV[5])
local order = tonumber(ARGV[10])
local used = amount
if order > 0 then
  -- A discount is granted on the whole voucher, never on what a reversal left of it.
  if balance ~= tonumber(v[5]) or amount <= 0 or amount > balance then return {-7, balance} end
  used = balance
else
  if amount == 0 then amount = balance end
  used = amount
  if (v[7] ~= '1' and amount ~= balance) or amount <= 0 or amount > balance then
    return {-7, balance}
  end
end
balance = balance - used
redis.call('HSET', KEYS[1], 'balance', balance, 'redeemed_by', ARGV[1], 'redeemed_at_ms', now)
if balance == 0 then
  redis.call('HSET', KEYS[1], 'status', 'redeemed')
  redis.call('HINCRBY', KEYS[4], 'redeemed', 1)
end
redis.call('HINCRBY', KEYS[4], 'redeemed_fen', amount)
redis.call('HINCRBY', KEYS[5], tostring(math.floor(now / 1000)), 1)
redis.call('EXPIRE', KEYS[5], 180, 'NX')
redis.call('HSET', KEYS[3], 'state', 'pending', 'serial', ARGV[3], 'merchant', ARGV[1],
  'at_ms', now, 'amount', amount, 'balance', balance, 'face', v[5], 'refunded', 0,
  'store', ARGV[6], 'terminal', ARGV[7], 'req', ARGV[9])
if order > 0 then redis.call('HSET', KEYS[3], 'order', order) end
redis.call('ZADD', KEYS[6], now, KEYS[3])
return {1, 'pending', now, amount, balance, tonumber(v[5]), order}
