-- Reserve an amount against a worker's cap across a group of campaigns for a period.
-- Keyed by claim id, so a repeated request never counts twice. The reservation is
-- unsettled until the repair job finds its claim admitted (or releases it when the claim
-- never was: the process died, or Redis failed, between this script and the admission).
-- KEYS[1] group spending this period (hash worker -> fen)   KEYS[2] reservation record
-- KEYS[3] the group's unsettled reservations (claim id -> ms)
-- ARGV[1] worker id   ARGV[2] amount (fen)   ARGV[3] cap (fen)   ARGV[4] TTL (s)
-- ARGV[5] claim id   ARGV[6] campaign id   ARGV[7] period   ARGV[8] now (ms)
-- Returns 1 reserved now | 2 already reserved by this claim | 0 the cap would be exceeded.
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
local spent = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if spent + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]), 'NX')
redis.call('HSET', KEYS[2], 'amount', ARGV[2], 'worker', ARGV[1], 'campaign', ARGV[6],
  'period', ARGV[7])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
redis.call('ZADD', KEYS[3], tonumber(ARGV[8]), ARGV[5])
return 1
