/* Reference for benchmarks: Kore's plain hello-world, same build flags. */
#include <kore/kore.h>
#include <kore/http.h>

int hello(struct http_request *);

int
hello(struct http_request *req)
{
	http_response_header(req, "Content-Type", "application/json");
	http_response(req, 200, "{\"status\":\"alive\"}", 18);
	return KORE_RESULT_OK;
}
