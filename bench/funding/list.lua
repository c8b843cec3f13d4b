-- wrk: GET of a call's applications; the path is wrk's URL argument,
-- the bearer token comes from $BENCH_TOKEN.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
