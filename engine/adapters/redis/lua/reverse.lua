-- A merchant gives back (part of) one of its own redemptions within the window; a store
-- key only its own store's. The amount returns to the voucher's balance; a spent voucher
-- becomes usable again. The reversal record doubles as the idempotency record: a repeat
-- for the same redemption gets the first answer, the same key for another one a refusal.
-- KEYS[1] voucher hash   KEYS[2] redemption record   KEYS[3] reversal record
-- KEYS[4] campaign hash   KEYS[5] unsettled records
-- ARGV[1] merchant id   ARGV[2] reversal id   ARGV[3] amount (fen; 0 = all not yet refunded)
-- ARGV[4] now (ms)   ARGV[5] window (ms)   ARGV[6] serial   ARGV[7] redemption id
-- ARGV[8] store id of a store key ('' for a merchant-wide key)
-- ARGV[9] the request's digest (redemption, amount, store): a repeat of the key with
--   another request is refused, as redeem.lua does
-- A discount (an 'order' on the redemption) is given back whole, and gives the whole
-- voucher back.
-- Returns {1, state, amount, at_ms, order} | {2, state, amount, at_ms} repeat | {-1} no such
--   redemption | {-2} another merchant's or store's | {-3} window closed
--   | {-4, refundable} amount | {-5} key reused for another request
local rv = redis.call('HMGET', KEYS[3], 'state', 'amount', 'at_ms', 'redemption', 'req')
if rv[1] and rv[1] ~= 'released' then
  if rv[4] ~= ARGV[7] or (rv[5] and ARGV[9] ~= '' and rv[5] ~= ARGV[9]) then return {-5} end
  return {2, rv[1], tonumber(rv[2]), tonumber(rv[3])}
end
local r = redis.call('HMGET', KEYS[2], 'state', 'merchant', 'at_ms', 'amount', 'refunded', 'store',
  'order', 'face')
if not r[1] or r[1] == 'released' then return {-1} end
if r[2] ~= ARGV[1] then return {-2} end
if ARGV[8] ~= '' and r[6] ~= ARGV[8] then return {-2} end
local now = tonumber(ARGV[4])
if now - tonumber(r[3]) > tonumber(ARGV[5]) then return {-3} end
local left = tonumber(r[4]) - tonumber(r[5] or '0')
local amount = tonumber(ARGV[3])
if amount == 0 then amount = left end
if amount <= 0 or amount > left or (r[7] and amount ~= left) then return {-4, left} end
local used = amount
if r[7] then used = tonumber(r[8]) end
if redis.call('HGET', KEYS[1], 'status') == 'redeemed' then
  redis.call('HSET', KEYS[1], 'status', 'issued')
  redis.call('HINCRBY', KEYS[4], 'redeemed', -1)
end
redis.call('HINCRBY', KEYS[1], 'balance', used)
redis.call('HINCRBY', KEYS[2], 'refunded', amount)
redis.call('HINCRBY', KEYS[4], 'reversed_fen', amount)
redis.call('HSET', KEYS[3], 'state', 'pending', 'serial', ARGV[6], 'merchant', ARGV[1],
  'amount', amount, 'at_ms', now, 'redemption', ARGV[7], 'req', ARGV[9])
-- Unsettled until the broker acknowledges it, like a claim or a redemption: the repair
-- job settles it if the API process dies in between.
redis.call('ZADD', KEYS[5], now, KEYS[3])
return {1, 'pending', amount, now, tonumber(r[7] or '0')}
