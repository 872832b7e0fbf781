-- Count one request against a fixed window; refuse once the window's allowance is spent.
-- KEYS[1] the caller's counter for this window
-- ARGV[1] window (s)   ARGV[2] requests allowed per window
-- Returns 0 when allowed, or the seconds until the window ends.
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1])) end
if n > tonumber(ARGV[2]) then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < 1 then ttl = 1 end
  return ttl
end
return 0
