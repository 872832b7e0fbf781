-- wrk script for `nuanxin bench`: each request is the next distinct worker's claim.
-- BENCH_TOKENS names a file of worker tokens (one per line), BENCH_CAMPAIGN the campaign.
-- No two requests share a worker. A key is chosen per intent, so each campaign's claim
-- has its own (the same worker claims in several runs of one bench).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require("wrk_report")

function init(args)
  tokens, next_token = my_lines(os.getenv("BENCH_TOKENS")), 0
  path = "/v1/campaigns/" .. os.getenv("BENCH_CAMPAIGN") .. "/claims"
  key = "tap-1-" .. os.getenv("BENCH_CAMPAIGN")
end

function request()
  next_token = next_token % #tokens + 1
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. tokens[next_token],
    ["Idempotency-Key"] = key,
  })
end
