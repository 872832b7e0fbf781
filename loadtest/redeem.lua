-- wrk script for `nuanxin bench redeem`: each request redeems the next issued code.
-- BENCH_CODES names a file of codes (one per line), BENCH_KEYS the merchant keys
-- (comma-separated), spread over 64 tills as the locust scenario spreads them. No two
-- requests share a code; a thread that runs out shows its codes again under new
-- Idempotency-Keys, and those must answer 409.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require("wrk_report")

function init(args)
  codes, sent = my_lines(os.getenv("BENCH_CODES")), 0
  keys = {}
  for key in string.gmatch(os.getenv("BENCH_KEYS"), "[^,]+") do
    table.insert(keys, key)
  end
end

function request()
  local index, round = sent % #codes + 1, math.floor(sent / #codes)
  sent = sent + 1
  return wrk.format("POST", "/v1/redemptions", {
    ["Authorization"] = "Bearer " .. keys[index % #keys + 1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("wrk-%d-%d-%d", id, index, round),
    ["X-Terminal-Id"] = string.format("t-%03d", index % 64),
  }, '{"code":"' .. codes[index] .. '"}')
end
