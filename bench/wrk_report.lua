-- wrk script used by bench/compacts_bench.py.
--
-- Arguments after "--": the Accept header value, then one or more Cookie header values. Requests
-- rotate through the cookies, so each simulated client uses its own session.
--
-- wrk itself counts only statuses >= 400 as errors; here every response outside 2xx is counted,
-- because a fast redirect to the login page is not a valid measurement.
--
-- done() prints one line "BENCH_RESULT {json}": latency percentiles in microseconds, request
-- counts, non-2xx counts and socket errors. The Python harness parses that line.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local accept = args[1] or "*/*"
  prepared = {}
  for i = 2, #args do
    prepared[#prepared + 1] = wrk.format("GET", nil, { ["Accept"] = accept, ["Cookie"] = args[i] })
  end
  if #prepared == 0 then
    prepared[1] = wrk.format("GET", nil, { ["Accept"] = accept })
  end
  counter = thread_id
  ok = 0
  non2xx = 0
  status_3xx = 0
  status_4xx = 0
  status_5xx = 0
  first_bad_status = 0
end

function request()
  counter = counter + 1
  return prepared[(counter % #prepared) + 1]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    return
  end
  non2xx = non2xx + 1
  if first_bad_status == 0 then
    first_bad_status = status
  end
  if status < 400 then
    status_3xx = status_3xx + 1
  elseif status < 500 then
    status_4xx = status_4xx + 1
  else
    status_5xx = status_5xx + 1
  end
end

function done(summary, latency, requests)
  local totals = { ok = 0, non2xx = 0, status_3xx = 0, status_4xx = 0, status_5xx = 0 }
  local first_bad = 0
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
    local bad = thread:get("first_bad_status") or 0
    if first_bad == 0 and bad ~= 0 then
      first_bad = bad
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"ok":%d,"non2xx":%d,'
      .. '"status_3xx":%d,"status_4xx":%d,"status_5xx":%d,"first_bad_status":%d,'
      .. '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},'
      .. '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,'
      .. '"p50":%d,"p90":%d,"p95":%d,"p99":%d}}\n',
    summary.requests, summary.duration, summary.bytes, totals.ok, totals.non2xx,
    totals.status_3xx, totals.status_4xx, totals.status_5xx, first_bad,
    errors.connect, errors.read, errors.write, errors.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(95.0), latency:percentile(99.0)
  ))
end
