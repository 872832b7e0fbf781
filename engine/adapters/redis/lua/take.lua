-- A stream worker takes the records behind a batch of events of one campaign before
-- writing their effects, so the API can no longer release them. Replays find a record
-- taken and go on (idempotent). One run per campaign and batch: a run per record cost
-- the issuer more than the decision itself (docs/BENCHMARKS.md).
-- KEYS[1] unsettled records   KEYS[2..n] the records
-- ARGV[i] the serial carried by the event of KEYS[i + 1]
-- Returns, per record: 'taken' | a later state (replay) | 'released' or 'stale' (void
-- event) | 'missing'
local states = {}
for i = 2, #KEYS do
  local rec = redis.call('HMGET', KEYS[i], 'state', 'serial')
  local state = rec[1]
  if not state then
    state = 'missing'
  elseif rec[2] ~= ARGV[i - 1] then
    state = 'stale'
  elseif state == 'pending' or state == 'acked' then
    redis.call('ZREM', KEYS[1], KEYS[i])
    redis.call('HSET', KEYS[i], 'state', 'taken')
    state = 'taken'
  end
  states[i - 1] = state
end
return states
