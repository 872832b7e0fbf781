-- A pack claimed without a station gets one, once: the station's stock is taken as a
-- claim's would be, and the pack is handed out there only.
-- KEYS[1] voucher hash   KEYS[2] the stations' stock   KEYS[3] claim record
-- ARGV[1] the station chosen
-- Returns {1} chosen now | {0} this one was chosen before | {-1} not issued yet
--   | {-2, station} another was chosen before | {-3, status} not redeemable any more
--   | {-12} no such station | {-13} station closed | {-14} no packs left there
local v = redis.call('HMGET', KEYS[1], 'station', 'status')
if not v[2] then return {-1} end
if v[1] == ARGV[1] then return {0} end
if v[1] ~= '?' then return {-2, v[1] or ''} end
if v[2] ~= 'issued' then return {-3, v[2]} end
local place = redis.call('HMGET', KEYS[2], ARGV[1], 'closed:' .. ARGV[1])
if not place[1] then return {-12} end
if place[2] then return {-13} end
if tonumber(place[1]) <= 0 then return {-14} end
redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
redis.call('HSET', KEYS[1], 'station', ARGV[1])
redis.call('HSET', KEYS[3], 'station', ARGV[1])
return {1}
