-- wrk script: each request takes the next "METHOD PATH TOKEN" line of PAIRS_FILE, split
-- between wrk's threads so no line is sent twice; done() prints the latency percentiles as
-- one JSON line (wrk itself only prints p50/75/90/99).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  lines = {}
  local n = 0
  local all = {}
  for line in io.lines(os.getenv("PAIRS_FILE")) do
    table.insert(all, line)
  end
  if #all < nthreads then nthreads = 1; id = 0 end
  for _, line in ipairs(all) do
    if n % nthreads == id then
      local method, path, token = line:match("^(%S+) (%S+) (%S+)$")
      table.insert(lines, { method, path, token })
    end
    n = n + 1
  end
  index = 0
end

function request()
  index = index + 1
  local item = lines[((index - 1) % #lines) + 1]
  return wrk.format(item[1], item[2], { ["Authorization"] = "Bearer " .. item[3] })
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
