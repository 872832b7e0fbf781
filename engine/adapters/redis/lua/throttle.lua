-- Count failed attempts in a fixed window; refuse once any scope reaches its limit.
-- KEYS: one counter per scope (a terminal, a merchant key)
-- ARGV[1] window (s)   ARGV[2] '1' to record a failure, '0' only to check
-- ARGV[3..] the limit of each KEYS entry, in order
-- Returns 0 when allowed, or the seconds until the blocking counter's window ends.
local wait = 0
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if ARGV[2] == '1' then
    n = redis.call('INCR', key)
    if n == 1 then redis.call('EXPIRE', key, tonumber(ARGV[1])) end
  end
  if n >= tonumber(ARGV[2 + i]) then
    local ttl = redis.call('TTL', key)
    if ttl > wait then wait = ttl end
  end
end
return wait
