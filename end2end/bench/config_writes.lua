-- `make bench`: each request changes one tenant setting (a change, its audit
-- record and its event in one transaction) to a value no other request
-- sends (thread number and count), so none is a no-op; each thread stops
-- after its share of BENCH_EVENTS requests.
local per_thread = math.floor(tonumber(os.getenv("BENCH_EVENTS") or "10000") / 2)
local threads = 0
local sent, answered = 0, 0
wrk.method = "PUT"
wrk.headers["content-type"] = "application/json"

function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end

request = function()
  sent = sent + 1
  local body = '{"key":"bench.counter","value":"' .. number .. "-" .. sent .. '"}'
  return wrk.format(nil, nil, nil, body)
end

response = function(status, headers, body)
  answered = answered + 1
  if answered >= per_thread then
    wrk.thread:stop()
  end
end
