-- wrk script for `nuanxin bench`: each request is the next distinct worker's claim.
-- BENCH_TOKENS names a file of worker tokens (one per line), BENCH_CAMPAIGN the campaign.
-- Threads take interleaved lines, so no two requests share a worker. done() prints one
-- line "WRKJSON {...}" with the latency percentiles and the answers by status.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local every = tonumber(os.getenv("BENCH_THREADS") or "1")
  tokens, n, next_token = {}, 0, 0
  local i = 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if i % every == id then
      n = n + 1
      tokens[n] = line
    end
    i = i + 1
  end
  path = "/v1/campaigns/" .. os.getenv("BENCH_CAMPAIGN") .. "/claims"
  statuses = {}
end

function request()
  next_token = next_token % n + 1
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. tokens[next_token],
    ["Idempotency-Key"] = "tap-1",
  })
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p95_us": %d,'
      .. ' "p99_us": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    table.concat(parts, ", ")))
end
