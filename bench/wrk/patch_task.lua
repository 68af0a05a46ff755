-- PATCH the priority of a random existing task: args = the highest seeded id (ids are 1..n).
local highest
local headers = with_auth({ ["Content-Type"] = "application/json" })

function scenario_init(args)
  highest = tonumber(args[1])
end

function request()
  local body = string.format('{"priority": %d}', math.random(1, 5))
  return wrk.format("PATCH", "/v1/tasks/" .. math.random(1, highest), headers, body)
end
