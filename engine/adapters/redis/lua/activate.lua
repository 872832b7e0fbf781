-- Make issued vouchers of one campaign redeemable and mark their claims issued.
-- A voucher hash is written only once: a replay must never reset a redeemed voucher.
-- KEYS[1] campaign hash   KEYS[2] the places' stock and a booking campaign's slot terms
-- then per voucher i (from 0): KEYS[3 + 2i] claim record   KEYS[4 + 2i] voucher hash
-- ARGV per voucher i, from 6i + 1: claim id, face value (fen), expires at (unix s),
--   '1' for a stored-value voucher (redeemable in parts), the digest of the stored code
--   (what an online redemption compares), and the place taken: a station a pack is
--   handed out at, or a slot, whose provider's store alone checks the worker in, from the
--   slot's check-in time ('' for any other voucher)
-- Returns, per voucher: 1 when it was created now, 0 when it already existed.
local created = {}
local issued = 0
for k = 3, #KEYS, 2 do
  -- KEYS[k] the claim record, KEYS[k + 1] the voucher hash; their ARGV from a + 1
  local a, i = 3 * (k - 3), (k - 1) / 2
  redis.call('HSET', KEYS[k], 'state', 'issued')
  if redis.call('EXISTS', KEYS[k + 1]) == 1 then
    created[i] = 0
  else
    redis.call('HSET', KEYS[k + 1], 'status', 'issued', 'claim_id', ARGV[a + 1],
      'face', ARGV[a + 2], 'balance', ARGV[a + 2], 'expires_at', ARGV[a + 3],
      'stored', ARGV[a + 4], 'digest', ARGV[a + 5])
    local place = ARGV[a + 6]
    if place ~= '' then
      local terms = redis.call('HGET', KEYS[2], 'slot:' .. place)
      if terms then
        local store, from_ms = string.match(terms, '|([^|]*)|(%d+)$')
        redis.call('HSET', KEYS[k + 1], 'station', store, 'from', from_ms)
      else
        redis.call('HSET', KEYS[k + 1], 'station', place)
      end
    end
    issued = issued + 1
    created[i] = 1
  end
end
if issued > 0 then redis.call('HINCRBY', KEYS[1], 'issued', issued) end
return created
