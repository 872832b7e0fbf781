-- Fences were placed on a topic's partitions: register each one's offset and placing time,
-- and say in the same step whether the log was lost. On a log that keeps what it
-- acknowledged, a partition's offsets only grow (one placer at a time holds the fence
-- lock); an offset below the last one placed there, below what a consumer committed there
-- (`<partition>:consumed`) or below an event the log acknowledged to the API
-- (`<partition>:acked`, raised with every batch of confirmations), means the log was lost
-- or replaced:
-- the lost flag is set, and stays until the re-drive from the records is done. A
-- watermark counts a passed fence only once it is registered here, so whoever reads one
-- that counts a fence of a lost log also finds the flag.
-- KEYS[1] the topic's placed fences   KEYS[2] the lost flag   KEYS[3] the log's epoch
-- ARGV[1] why, as the flag will say   ARGV triples after it: partition, offset, time (ms)
-- Returns the number of partitions whose offset went back.
local back = 0
for i = 2, #ARGV, 3 do
  local marks = redis.call('HMGET', KEYS[1], ARGV[i] .. ':offset', ARGV[i] .. ':consumed',
    ARGV[i] .. ':acked')
  local highest = math.max(tonumber(marks[1] or '0'), tonumber(marks[2] or '0'),
    tonumber(marks[3] or '0'))
  if tonumber(ARGV[i + 1]) < highest then back = back + 1 end
end
-- A new log: the marks of the lost one (its offsets, what was consumed of it) go with it.
if back > 0 then
  redis.call('SET', KEYS[2], ARGV[1])
  redis.call('DEL', KEYS[1])
  redis.call('INCR', KEYS[3])
end
for i = 2, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i] .. ':offset', ARGV[i + 1], ARGV[i] .. ':at', ARGV[i + 2])
end
return back
