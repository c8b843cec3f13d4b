-- wrk: POST of one GraphQL request ($BENCH_BODY, a JSON file holding
-- {"query": ...}) to the URL given to wrk, with $BENCH_TOKEN as a bearer
-- token when set. Non-2xx answers show in wrk's "Non-2xx" line; answers
-- holding an "errors" member are counted too (a 200 with errors is no
-- success) and printed as gql_errors at the end.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
local tok = os.getenv("BENCH_TOKEN")
if tok and tok ~= "" then wrk.headers["Authorization"] = "Bearer " .. tok end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) gqlerr = 0 end
function response(status, headers, body)
	if string.find(body, '"errors"', 1, true) then gqlerr = gqlerr + 1 end
end
function done(summary, latency, requests)
	local e = 0
	for _, t in ipairs(threads) do e = e + t:get("gqlerr") end
	io.write(string.format("gql_errors %d\n", e))
end
