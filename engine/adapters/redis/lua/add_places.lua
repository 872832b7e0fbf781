-- Give a campaign's new places their stock: a pick-up campaign's stations, a booking
-- campaign's slots (with their terms). A place already known keeps what it has left (a
-- station's stock changes only by moves) and its terms, so defining them again is safe.
-- KEYS[1] places hash (keys.stations)
-- ARGV place id, stock, terms ('' for a station; a slot's 'bookable until ms|valid until
--   s|provider store|check-in from ms'), place id, stock, terms, ...
-- Returns how many places were new.
local added = 0
for i = 1, #ARGV, 3 do
  local new = redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
  if new == 1 and ARGV[i + 2] ~= '' then
    redis.call('HSET', KEYS[1], 'slot:' .. ARGV[i], ARGV[i + 2])
  end
  added = added + new
end
return added
