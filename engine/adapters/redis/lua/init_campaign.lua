-- Load a campaign into Redis. Counters are set only when absent, so re-running it
-- (an idempotent re-create) never restores spent quota; definition fields are
-- always written (a new version of the definition applies to new claims only).
-- KEYS[1] campaign hash   KEYS[2] eligible categories   KEYS[3] enrolled merchants
-- ARGV[1] number of definition field/value pairs, then the pairs,
-- then the number of categories, the categories, and the merchants (the whole list:
-- a merchant left out of a new version stops redeeming).
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'admitted', 0, 'issued', 0, 'redeemed', 0, 'next_serial', 0,
    'spent', 0, 'expired', 0, 'reclaimed', 0)
end
local npairs = tonumber(ARGV[1])
for i = 2, 1 + 2 * npairs, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
local at = 2 + 2 * npairs
local ncat = tonumber(ARGV[at])
redis.call('DEL', KEYS[2])
for i = at + 1, at + ncat do redis.call('SADD', KEYS[2], ARGV[i]) end
redis.call('DEL', KEYS[3])
for i = at + ncat + 1, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end
return 1
