-- wrk script: optional method/body/headers from the environment, and a JSON summary line.
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local ctype = os.getenv("BENCH_CONTENT_TYPE")
local cookie = os.getenv("BENCH_COOKIE")
local counter = 0
-- BENCH_PATHS: space-separated paths to take in turn (e.g. distinct search queries).
local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "", "%S+") do table.insert(paths, p) end

request = function()
  local headers = {}
  local payload = nil
  if ctype then headers["Content-Type"] = ctype end
  if cookie then headers["Cookie"] = cookie end
  if body then
    counter = counter + 1
    -- {n} makes each body different (comments are checked for duplicates).
    payload = string.gsub(body, "{n}", tostring(counter) .. "-" .. tostring(math.random(1, 1e9)))
  end
  local path = nil
  if #paths > 0 then path = paths[(counter % #paths) + 1]; counter = counter + 1 end
  return wrk.format(method, path, headers, payload)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "socket_errors": %d, "non_2xx_3xx": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
