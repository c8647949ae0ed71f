-- wrk script for bench/run: one request shape per run, set by environment.
--
--   BENCH_TAG      name printed in the result line (join, static, health, login)
--   BENCH_METHOD   GET or POST (default GET)
--   BENCH_PATH     request path (default /)
--   BENCH_BODY     request body; sent with Content-Type: application/json
--   BENCH_TOKENS   file of access tokens, one a line: each request carries
--                  "Authorization: Bearer <next token>", rotating
--   BENCH_DELAY_MS pause of each connection between two requests (a paced
--                  probe instead of a closed loop at full speed)
--
-- done() prints one parseable line (latencies in microseconds):
--   BENCH tag=join requests=.. duration_us=.. rps=.. p50_us=.. p90_us=..
--         p99_us=.. max_us=.. non2xx=.. connect=.. read=.. write=.. timeout=..
-- non2xx is wrk's count of responses with a status above 399.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local tag = os.getenv("BENCH_TAG") or "bench"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
local tokens_file = os.getenv("BENCH_TOKENS")

local tokens = {}
if tokens_file and tokens_file ~= "" then
   local f = assert(io.open(tokens_file, "r"), "cannot open " .. tokens_file)
   for line in f:lines() do
      if line ~= "" then tokens[#tokens + 1] = line end
   end
   f:close()
   assert(#tokens > 0, "no tokens in " .. tokens_file)
end

-- Prebuilt requests: formatting once keeps the script's own cost out of
-- the numbers. Built in init(), the first point where wrk has set the Host
-- header (wrk.init does that; a request without Host is a 400).
local requests = {}

function init(_)
   local headers = { Host = wrk.headers["Host"] }
   if body then headers["Content-Type"] = "application/json" end

   if #tokens == 0 then
      requests[1] = wrk.format(method, path, headers, body)
   else
      for i, t in ipairs(tokens) do
         local h = {}
         for k, v in pairs(headers) do h[k] = v end
         h["Authorization"] = "Bearer " .. t
         requests[i] = wrk.format(method, path, h, body)
      end
   end
end

-- each thread starts at a different token
local thread_no = 0
function setup(thread)
   thread:set("offset", thread_no * 7)
   thread_no = thread_no + 1
end

local n = 0
function request()
   n = n + 1
   return requests[((n + (offset or 0)) % #requests) + 1]
end

if delay_ms then
   function delay()
      return delay_ms
   end
end

function done(summary, latency, _)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "BENCH tag=%s requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d "
         .. "p99_us=%d max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
      tag, summary.requests, summary.duration,
      secs > 0 and summary.requests / secs or 0,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
