-- Mark a record (claim or redemption) acknowledged by the broker.
-- KEYS[1] record   KEYS[2] unsettled records   ARGV[1] serial
-- Returns the record's state afterwards.
local rec = redis.call('HMGET', KEYS[1], 'state', 'serial')
if not rec[1] then return 'missing' end
if rec[2] ~= ARGV[1] then return 'stale' end
redis.call('ZREM', KEYS[2], KEYS[1])
if rec[1] == 'pending' then
  redis.call('HSET', KEYS[1], 'state', 'acked')
  return 'acked'
end
return rec[1]
