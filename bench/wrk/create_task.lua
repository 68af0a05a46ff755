-- POST /v1/tasks with a title no other request of this run uses: args = a per-run nonce.
local nonce
local counter = 0
local headers = with_auth({ ["Content-Type"] = "application/json" })

function scenario_init(args)
  nonce = args[1]
end

function request()
  counter = counter + 1
  local body = string.format('{"title": "bench %s %d %d", "priority": %d}',
    nonce, thread_id, counter, math.random(1, 5))
  return wrk.format("POST", "/v1/tasks", headers, body)
end
