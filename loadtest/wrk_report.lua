-- What every wrk script of `nuanxin bench` shares: each thread knows its number, counts
-- the answers by status, and done() prints one line "WRKJSON {...}" with the latency
-- percentiles and the answers by status of all threads.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- The lines of a file that fall to this thread: threads take interleaved lines.
function my_lines(path)
  local every = tonumber(os.getenv("BENCH_THREADS") or "1")
  local mine, i = {}, 0
  for line in io.lines(path) do
    if i % every == id and #line > 0 then
      table.insert(mine, line)
    end
    i = i + 1
  end
  return mine
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
