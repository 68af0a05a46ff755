-- GET /v1/tasks/{id} on a random existing id: args = the highest seeded id (ids are 1..n).
local highest

function scenario_init(args)
  highest = tonumber(args[1])
end

function request()
  return wrk.format("GET", "/v1/tasks/" .. math.random(1, highest), with_auth())
end
