-- Move packs between two stations of a campaign: no more than the source has left (what
-- is claimed stays where it was claimed). Applied once per move id.
-- KEYS[1] stations hash   KEYS[2] applied move ids
-- ARGV[1] move id   ARGV[2] source station   ARGV[3] target station   ARGV[4] packs
-- Returns {1} moved now | {2} moved before (a retry) | {-1} a station unknown
--   | {-2, left} the source has fewer left
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return {2} end
local left = redis.call('HGET', KEYS[1], ARGV[2])
if not left or redis.call('HEXISTS', KEYS[1], ARGV[3]) == 0 then return {-1} end
local units = tonumber(ARGV[4])
if tonumber(left) < units then return {-2, tonumber(left)} end
redis.call('HINCRBY', KEYS[1], ARGV[2], -units)
redis.call('HINCRBY', KEYS[1], ARGV[3], units)
redis.call('SADD', KEYS[2], ARGV[1])
return {1}
