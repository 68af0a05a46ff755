-- Shared by every scenario (the harness prepends it to the scenario's script).
-- Counts every response outside 2xx (wrk's own summary counts only status > 399) and prints
-- one machine-readable line at the end: latency in microseconds, counts of each error kind.
-- BENCH_AUTHORIZATION (`Bearer tsk_…`, set by the harness for taskservice) goes on every request:
-- into wrk.headers for the scripts that send the default request, and through with_auth for
-- those that build their own headers.
local threads = {}
local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization == "" then authorization = nil end
if authorization then wrk.headers["Authorization"] = authorization end

function with_auth(headers)
  headers = headers or {}
  if authorization then headers["Authorization"] = authorization end
  return headers
end

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  non2xx = 0
  math.randomseed(os.time() * 1000 + thread_id)
  if scenario_init then scenario_init(args) end
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do non2xx_total = non2xx_total + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, "read": %d, '
      .. '"write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, non2xx_total, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
