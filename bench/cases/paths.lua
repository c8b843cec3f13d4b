-- wrk: GET the paths listed (one per line) in $BENCH_PATHS in turn, with
-- the bearer token in $BENCH_TOKEN when it is set (the directory is
-- public). Each wrk thread starts at a different offset of the list.
local paths, n, i = {}, 0, 0
for line in io.lines(os.getenv("BENCH_PATHS")) do
	if #line > 0 then n = n + 1; paths[n] = line end
end
local token = os.getenv("BENCH_TOKEN")
local headers = {}
if token ~= nil and #token > 0 then headers["Authorization"] = "Bearer " .. token end
local counter = 0
function setup(thread)
	thread:set("start", counter * 7)
	counter = counter + 1
end
function init(args)
	i = start or 0
end
request = function()
	i = i + 1
	return wrk.format("GET", paths[(i % n) + 1], headers)
end
