-- Give a pick-up campaign's new stations their stock; a station already known keeps what
-- it has left (stock changes only by moves), so defining the stations again is safe.
-- KEYS[1] stations hash
-- ARGV station id, stock, station id, stock, ...
-- Returns how many stations were new.
local added = 0
for i = 1, #ARGV, 2 do
  added = added + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return added
