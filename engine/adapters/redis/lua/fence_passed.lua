-- A topic's consumer passed log fences: everything before each on its partition is applied.
-- Only a later placing time counts, so a replayed or a late-placed fence never lowers the mark.
-- KEYS[1] the topic's passed fences   ARGV pairs: partition, placing time (ms)
-- Returns how many partitions' marks moved.
local moved = 0
for i = 1, #ARGV, 2 do
  local at = tonumber(ARGV[i + 1])
  local was = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if at > was then
    redis.call('HSET', KEYS[1], ARGV[i], at)
    moved = moved + 1
  end
end
return moved
