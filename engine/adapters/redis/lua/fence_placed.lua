-- One tick's fences were placed on the decision topics: register each one's offset and
-- placing time, and say in the same step whether the log was lost. On a log that keeps
-- what it acknowledged, a partition's offsets only grow: a fence placed below the highest
-- offset seen there before it was placed (the last fence placed, an issuer's commit
-- `<partition>:consumed`, an event acknowledged to the API `<partition>:acked`), read by
-- the placer before it placed, means the log was lost or replaced. (A commit or an
-- acknowledgement raised after the fence was placed may be past it on a sound log, so
-- the marks as they stand now are not the measure.) The lost flag is set, and stays until
-- the re-drive from the records is done. The whole tick is one step, so one loss sets the
-- flag once, whatever number of topics it took (a flag changed between topics would
-- outlive the re-drive that read it). A watermark counts a passed fence only once it is
-- registered here, so whoever reads one that counts a fence of a lost log also finds the
-- flag. A placer whose lock ran out while it placed registers nothing: another one may
-- have placed since, and its later offsets are not a lost log.
-- KEYS[1] the lost flag   KEYS[2] the log's epoch   KEYS[3] the fence lock
-- KEYS[4..] each topic's placed fences
-- ARGV[1] the placer (the lock's holder)   ARGV[2] when (for the flag); then per topic, in
-- KEYS order: its name, the number of fences n, and n quadruples (partition, offset,
-- placing time ms, the highest offset seen there before placing).
-- Returns the names of the topics whose offset went back.
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return {} end
local back, placed, i = {}, {}, 3
for k = 4, #KEYS do
  local topic, n = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  local fences, went_back = {}, false
  for _ = 1, n do
    local p, offset, at, seen = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    i = i + 4
    local last = redis.call('HGET', KEYS[k], p .. ':offset')
    if tonumber(offset) < math.max(tonumber(seen), tonumber(last or '0')) then
      went_back = true
    end
    fences[#fences + 1] = {p, offset, at}
  end
  if went_back then
    back[#back + 1] = topic
    -- A new log: the marks of the lost one (its offsets, what was consumed of it) go with it.
    redis.call('DEL', KEYS[k])
  end
  placed[k] = fences
end
if #back > 0 then
  redis.call('SET', KEYS[1], table.concat(back, ', ') .. ": a fence's offset went back at " .. ARGV[2])
  redis.call('INCR', KEYS[2])
end
for k = 4, #KEYS do
  for _, f in ipairs(placed[k]) do
    redis.call('HSET', KEYS[k], f[1] .. ':offset', f[2], f[1] .. ':at', f[3])
  end
end
return back
