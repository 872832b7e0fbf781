-- Fences were placed on a topic's partitions: register each one's offset and placing time,
-- and say in the same step whether the log was lost. On a log that keeps what it
-- acknowledged, a partition's offsets only grow (one placer at a time holds the fence
-- lock); an offset below the last one placed there means the log was lost or replaced:
-- the lost flag is set, and stays until the re-drive from the records is done. A
-- watermark counts a passed fence only once it is registered here, so whoever reads one
-- that counts a fence of a lost log also finds the flag.
-- KEYS[1] the topic's placed fences   KEYS[2] the lost flag
-- ARGV[1] why, as the flag will say   ARGV triples after it: partition, offset, time (ms)
-- Returns the number of partitions whose offset went back.
local back = 0
for i = 2, #ARGV, 3 do
  local was = redis.call('HGET', KEYS[1], ARGV[i] .. ':offset')
  if was and tonumber(ARGV[i + 1]) < tonumber(was) then back = back + 1 end
end
if back > 0 then redis.call('SET', KEYS[2], ARGV[1]) end
for i = 2, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i] .. ':offset', ARGV[i + 1], ARGV[i] .. ':at', ARGV[i + 2])
end
return back
