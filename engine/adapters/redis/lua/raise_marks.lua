-- Raise marks that only ever go up: each field keeps the larger of its number and the one
-- given (a fence passed: its placing time; a consumer's commit: the next offset), so a
-- replayed or late report never lowers one.
-- KEYS[1] the marks' hash   ARGV pairs: field, number
-- Returns how many fields went up.
local raised = 0
for i = 1, #ARGV, 2 do
  local n = tonumber(ARGV[i + 1])
  if n > tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0') then
    redis.call('HSET', KEYS[1], ARGV[i], n)
    raised = raised + 1
  end
end
return raised
