-- Make an issued voucher redeemable and mark its claim issued.
-- The voucher hash is written only once: a replay must never reset a redeemed voucher.
-- KEYS[1] claim record   KEYS[2] voucher hash   KEYS[3] campaign hash
-- KEYS[4] the places' stock and a booking campaign's slot terms
-- ARGV[1] claim id   ARGV[2] face value (fen)   ARGV[3] expires at (unix s)
-- ARGV[4] '1' for a stored-value voucher (redeemable in parts)
-- ARGV[5] the digest of the stored code (what an online redemption compares)
-- ARGV[6] the place taken: a station a pack is handed out at, or a slot, whose
--   provider's store alone checks the worker in, from the slot's check-in time ('' for
--   any other voucher)
-- Returns 1 when the voucher was created now, 0 when it already existed.
redis.call('HSET', KEYS[1], 'state', 'issued')
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'status', 'issued', 'claim_id', ARGV[1], 'face', ARGV[2],
  'balance', ARGV[2], 'expires_at', ARGV[3], 'stored', ARGV[4], 'digest', ARGV[5])
if ARGV[6] ~= '' then
  local terms = redis.call('HGET', KEYS[4], 'slot:' .. ARGV[6])
  if terms then
    local store, from_ms = string.match(terms, '|([^|]*)|(%d+)$')
    redis.call('HSET', KEYS[2], 'station', store, 'from', from_ms)
  else
    redis.call('HSET', KEYS[2], 'station', ARGV[6])
  end
end
redis.call('HINCRBY', KEYS[3], 'issued', 1)
return 1
