-- Count failed attempts in a fixed window; refuse once the limit is reached.
-- KEYS: one counter per scope (merchant key, terminal)   ARGV[1] limit   ARGV[2] window (s)
-- ARGV[3] '1' to record a failure, '0' only to check
-- Returns 0 when allowed, or the seconds until the busiest counter's window ends.
local wait = 0
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if ARGV[3] == '1' then
    n = redis.call('INCR', key)
    if n == 1 then redis.call('EXPIRE', key, tonumber(ARGV[2])) end
  end
  if n >= tonumber(ARGV[1]) then
    local ttl = redis.call('TTL', key)
    if ttl > wait then wait = ttl end
  end
end
return wait
