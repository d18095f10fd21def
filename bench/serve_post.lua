-- serve_post.lua: wrk script for bench/bench_serve.sh: POSTs the JSON body
-- in $BODY, counts statuses (200 served, 503 apart from other errors) across
-- threads, and prints one RESULT line (requests/s, served/s, p50/p99 latency
-- over every answer, errors).
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) other = 0; busy = 0; served = 0 end
function response(status, headers, body)
  if status == 200 then served = served + 1
  elseif status == 503 then busy = busy + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local other_n, busy_n, served_n = 0, 0, 0
  for _, t in ipairs(threads) do
    other_n = other_n + t:get("other"); busy_n = busy_n + t:get("busy"); served_n = served_n + t:get("served")
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d rps=%.2f served_rps=%.2f p50_ms=%.1f p99_ms=%.1f errors=%d busy503=%d\n",
    summary.requests, summary.requests / secs, served_n / secs, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.timeout + other_n, busy_n))
end
