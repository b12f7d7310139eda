-- wrk script for bench/load.py: each request is a URL drawn at random from a file of paths
-- (one a line), and the run ends by printing one JSON line with the figures load.py reads.
--
--     wrk -t2 -c64 -d60s --latency -s bench/load.lua http://127.0.0.1:8899 -- urls.txt
--
-- Statuses of 400 and over are counted per status (wrk's response() is not told which
-- request it answers, so load.py checks each URL once before the run instead).

local paths = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1] or "bench/out/urls.txt", "r"))
  for line in file:lines() do
    if #line > 0 then table.insert(paths, line) end
  end
  file:close()
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
  bad = {}  -- status -> count; global, so that done() can read it through thread:get
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status, headers, body)
  if status >= 400 then
    local key = tostring(status)
    bad[key] = (bad[key] or 0) + 1
  end
end

local function quoted(text)
  return '"' .. text:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

function done(summary, latency, requests)
  local bad_all = {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("bad")) do
      bad_all[key] = (bad_all[key] or 0) + count
    end
  end
  local bad_parts = {}
  for key, count in pairs(bad_all) do
    table.insert(bad_parts, quoted(key) .. ": " .. count)
  end
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "bad": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(bad_parts, ", ")))
end
