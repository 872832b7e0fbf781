-- Bind an Idempotency-Key to the request it first came with, in its caller's own slot and
-- before anything is decided: a campaign's slot cannot see another campaign's records, so
-- only here can the same key with another request be refused whatever campaign it names.
-- What else the caller's request needs from the same slot comes in the same round trip:
-- a worker's profile of record (eligibility reads the current one, not the token), or a
-- merchant's failed-code counters (a guesser is refused before the key is bound).
-- KEYS[1] the binding (string: the request's digest)
-- KEYS[2..] with ARGV[3] 'profile': the worker's profile hash
--           with ARGV[3] 'failures': failed-code counters, each checked against its limit
-- ARGV[1] the request's digest   ARGV[2] the binding's life (s)   ARGV[3] 'profile' | 'failures'
-- ARGV[4..] the limit of each counter, in order
-- Returns {1, profile...} bound now | {2, profile...} the same request again
--   | {-1} the key is bound to another request | {-2, seconds} too many failed codes
if ARGV[3] == 'failures' then
  local wait = 0
  for i, counter in ipairs(KEYS) do
    if i > 1 and tonumber(redis.call('GET', counter) or '0') >= tonumber(ARGV[2 + i]) then
      local ttl = redis.call('TTL', counter)
      if ttl > wait then wait = ttl end
    end
  end
  if wait > 0 then return {-2, wait} end
end
local was = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'GET', 'EX', tonumber(ARGV[2]))
if was and was ~= ARGV[1] then return {-1} end
local reply = {was and 2 or 1}
if ARGV[3] == 'profile' then
  local fields = redis.call('HGETALL', KEYS[2])
  for i = 1, #fields do reply[i + 1] = fields[i] end
end
return reply
