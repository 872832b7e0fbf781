-- Load a campaign's counters into Redis. Counters are set only when absent, so
-- re-running it (an idempotent re-create) never restores spent quota.
-- KEYS[1] campaign hash   KEYS[2] eligible categories   KEYS[3] enrolled merchants
-- ARGV[1] quota ARGV[2] per-worker limit ARGV[3] opens ms ARGV[4] closes ms
-- ARGV[5] face value ARGV[6] valid until (unix s) ARGV[7] campaign number
-- ARGV[8] number of categories, then the categories, then the merchants
local fresh = redis.call('EXISTS', KEYS[1]) == 0
if fresh then
  redis.call('HSET', KEYS[1], 'status', 'open', 'quota', ARGV[1], 'remaining', ARGV[1],
    'admitted', 0, 'issued', 0, 'redeemed', 0, 'next_serial', 0,
    'per_worker_limit', ARGV[2], 'opens_ms', ARGV[3], 'closes_ms', ARGV[4],
    'face', ARGV[5], 'valid_until', ARGV[6], 'number', ARGV[7])
end
local ncat = tonumber(ARGV[8])
for i = 9, 8 + ncat do redis.call('SADD', KEYS[2], ARGV[i]) end
for i = 9 + ncat, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end
if fresh then return 1 end
return 0
