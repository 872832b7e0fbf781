-- Reserve an amount against a worker's cap across a group of campaigns for a period.
-- Keyed by claim id, so a repeated request never counts twice.
-- KEYS[1] group spending this period (hash worker -> fen)   KEYS[2] reservation record
-- ARGV[1] worker id   ARGV[2] amount (fen)   ARGV[3] cap (fen)   ARGV[4] TTL (s)
-- Returns 1 reserved now | 2 already reserved by this claim | 0 the cap would be exceeded.
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
local spent = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if spent + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]), 'NX')
redis.call('SET', KEYS[2], ARGV[2], 'EX', tonumber(ARGV[4]))
return 1
