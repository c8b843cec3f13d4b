-- wrk: GET /v1/funding/applications/{id}, rotating over the ids listed
-- (one per line) in $BENCH_IDS, with the bearer token in $BENCH_TOKEN.
-- Each wrk thread starts at a different offset of the list. Headers given
-- with wrk -H are sent too.
local ids, n, i = {}, 0, 0
local auth = "Bearer " .. os.getenv("BENCH_TOKEN")
for line in io.lines(os.getenv("BENCH_IDS")) do
	if #line > 0 then n = n + 1; ids[n] = line end
end
local counter = 0
function setup(thread)
	thread:set("start", counter * 7919)
	counter = counter + 1
end
function init(args)
	i = start or 0
end
local headers = nil
request = function()
	if headers == nil then
		headers = { ["Authorization"] = auth }
		for k, v in pairs(wrk.headers) do headers[k] = v end
	end
	i = i + 1
	return wrk.format("GET", "/v1/funding/applications/" .. ids[(i % n) + 1],
	    headers)
end
