-- wrk script: cycle through "path<TAB>session-cookie" (or "path<TAB>Bearer <token>") lines of the file given after "--",
-- and print a one-line JSON summary (latency percentiles in microseconds) when done.
local reqs = {}
local idx = 0
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7)
end

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local path, cookie = line:match("^([^\t]+)\t?(.*)$")
    if path then
      local headers = { ["User-Agent"] = "portal-bench" }
      if cookie ~= nil and cookie:sub(1, 7) == "Bearer " then
        headers["Authorization"] = cookie  -- an API request: a bearer token, no session
      elseif cookie ~= nil and cookie ~= "" then
        headers["Cookie"] = "session=" .. cookie
      end
      reqs[#reqs + 1] = wrk.format("GET", path, headers)
    end
  end
  f:close()
  idx = (offset or 0) % #reqs
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50":%d,"p75":%d,"p90":%d,"p95":%d,"p99":%d,' ..
    '"max":%d,"mean":%.1f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
