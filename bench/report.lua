-- wrk script: optional method, body, headers and paths from the environment, and a JSON
-- summary line (bench/run.py reads it).
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local counter = 0
-- BENCH_HEADERS: "Name: value" lines separated by "|" (a cookie, Accept-Encoding, ...).
local headers = {}
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^|]+") do
  local name, value = string.match(line, "^%s*([^:]+):%s*(.*)$")
  if name then headers[name] = value end
end
-- BENCH_PATHS: space-separated paths to take in turn (a reader's pages, distinct searches).
local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "", "%S+") do table.insert(paths, p) end
local turn = 0
-- BENCH_STAMPS_FILE: form stamps, one a line, each good for one comment: {stamp} in the body
-- takes the next one (a reader's form fetches its stamp the same way, from /api/v1/csrf).
local stamps = {}
local stamps_file = os.getenv("BENCH_STAMPS_FILE")
if stamps_file then for line in io.lines(stamps_file) do table.insert(stamps, line) end end

request = function()
  local payload = nil
  if body then
    counter = counter + 1
    -- {n} makes each body different (comments are checked for duplicates).
    payload = string.gsub(body, "{n}", tostring(counter) .. "-" .. tostring(math.random(1, 1e9)))
    if #stamps > 0 then payload = string.gsub(payload, "{stamp}", stamps[(counter % #stamps) + 1]) end
  end
  local path = nil
  if #paths > 0 then path = paths[(turn % #paths) + 1]; turn = turn + 1 end
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
