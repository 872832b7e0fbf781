-- Count one event in its campaign's tumbling windows, exactly once. The event is named by
-- where it sits in the log (partition, offset) and the log's epoch (raised when a lost log
-- was found): a consumer reads a partition in order, so an offset at or below the last one
-- counted from that partition in this epoch is a redelivery (a rebalance, a restart before
-- a commit) and counts nothing. No state is restored from the log, so no broker's end
-- offsets are trusted.
-- KEYS[1] the campaign's last counted offsets of this kind   KEYS[2..] one window hash per size
-- ARGV[1] partition   ARGV[2] offset   ARGV[3] the log's epoch
-- ARGV pairs after those, one per window: its start (unix s), its life (s)
-- Returns 1 counted | 0 a redelivery
local last = redis.call('HGET', KEYS[1], ARGV[1])
if last then
  local epoch, offset = string.match(last, '^(%d+):(%d+)$')
  if epoch == ARGV[3] and tonumber(offset) >= tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. ':' .. ARGV[2])
for i, window in ipairs(KEYS) do
  if i > 1 then
    redis.call('HINCRBY', window, ARGV[2 + 2 * (i - 1)], 1)
    redis.call('EXPIRE', window, tonumber(ARGV[3 + 2 * (i - 1)]))
  end
end
return 1
