-- wrk: POST of a full, valid application body ($BENCH_BODY, a file) to the
-- call given as wrk's URL, as the applicant of $BENCH_TOKEN. Every answer
-- that is not 2xx shows in wrk's "Non-2xx or 3xx responses" line; the
-- script also counts 201s per thread and prints the total.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) created = 0; other = 0 end
function response(status, headers, body)
	if status == 201 then created = created + 1 else other = other + 1 end
end
function done(summary, latency, requests)
	local c, o = 0, 0
	for _, t in ipairs(threads) do
		c = c + t:get("created"); o = o + t:get("other")
	end
	io.write(string.format("created_201 %d\nother_status %d\n", c, o))
end
