/*
 * fuzz_gw_cache_entry: the gateway cache's parsers on arbitrary bytes.
 *   - gw_cache_entry_decode and gw_cache_value_decode (bytes read back
 *     from Redis): refused, or
 *     accepted with sane fields that re-encode to exactly the input;
 *     the input sits in an exact-size heap block so ASan sees any
 *     over-read.
 *   - the same bytes as header text: gw_cache_control_parse (values in
 *     range), gw_etag_match (0 or 1, "*" handled), gw_cache_event_service
 *     (the service is a prefix of the type), gw_cache_key with the bytes as
 *     query (documented return codes only, well-formed key), and
 *     gw_route_match (documented return codes, params and rest bounded).
 *
 *   make fuzz (scripts/fuzz.sh builds it with libFuzzer, linking the
 *   gateway's pure sources: make -s print-pure-gateway)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mp/principal.h"

#include "edge/cache.h"
#include "edge/routing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct gw_route routes[] = {
    {GW_M_ALL, "/v1/funding/**", 0, 0, NULL, 0, GW_RC_DEFAULT, "funding"},
    {GW_M_GET, "/v1/funding/calls/{id}", GW_R_PUBLIC, 0, NULL, 0, GW_RC_DEFAULT,
     "funding"},
    {GW_M_GET | GW_M_PATCH, "/v1/{svc}/{kind}/{id}/{sub}", 0, 0, "a:b", 0,
     GW_RC_WRITE, NULL},
    {GW_M_POST, "/auth/token", GW_R_PUBLIC, 0, NULL, 0, GW_RC_AUTH, NULL},
    {GW_M_GET, "/", GW_R_PUBLIC, 0, NULL, 0, GW_RC_DEFAULT, NULL},
};

static void
entry(const uint8_t *data, size_t size)
{
	struct gw_cache_entry e;
	unsigned char *buf, *again;
	size_t n = 0;

	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return;
	memcpy(buf, data, size);
	if (gw_cache_entry_decode(buf, size, &e) == 0) {
		if (e.status < 100 || e.status > 599 ||
		    strlen(e.content_type) > GW_CACHE_HDR_MAX ||
		    strpbrk(e.content_type, "\r\n") != NULL ||
		    strpbrk(e.etag, "\r\n") != NULL ||
		    e.body_len > GW_CACHE_BODY_MAX ||
		    (e.body_len > 0 &&
		     ((const unsigned char *)e.body < buf ||
		      (const unsigned char *)e.body + e.body_len !=
		          buf + size)))
			abort();
		again = malloc(size);
		if (again == NULL)
			abort();
		if (gw_cache_entry_encode(&e, again, size, &n) != 0 ||
		    n != size || memcmp(again, buf, size) != 0)
			abort();
		free(again);
	}
	free(buf);
}

static void
text(const char *s, size_t size)
{
	struct gw_cache_control cc;
	struct gw_route_match m;
	struct gw_cache_req r;
	char out[GW_CACHE_KEY_MAX];
	size_t i;
	int rc;

	if (gw_cache_control_parse(s, &cc) != 0 || cc.max_age < -1 ||
	    cc.s_maxage < -1 || (cc.no_store | cc.no_cache | cc.private) > 1)
		abort();
	rc = gw_etag_match(s, "\"0123456789abcdef0123456789abcdef\"");
	if (rc != 0 && rc != 1)
		abort();
	if (strcmp(s, "*") == 0 && rc != 1)
		abort();
	if (gw_cache_event_service(s, out, GW_SERVICE_MAX + 1) == 0 &&
	    (strncmp(out, s, strlen(out)) != 0 || s[strlen(out)] != '.'))
		abort();
	memset(&r, 0, sizeof(r));
	r.service = "funding";
	r.path = "/v1/funding/calls";
	r.query = s;
	r.accept_language = s;
	rc = gw_cache_key(&r, out, sizeof(out));
	if (rc != 0 && rc != -EINVAL && rc != -E2BIG)
		abort();
	if (rc == 0 && (strncmp(out, "gw:c:{funding}:0:", 17) != 0 ||
	                strlen(out) != 15 + 64))
		abort();
	if (rc == 0 && size > GW_CACHE_QUERY_MAX)
		abort();
	rc = gw_route_match(routes, sizeof(routes) / sizeof(routes[0]),
	                    GW_M_GET, s, &m);
	if (rc != 0 && rc != -ENOENT && rc != -EOPNOTSUPP && rc != -EINVAL &&
	    rc != -ENAMETOOLONG && rc != -E2BIG)
		abort();
	if (rc == 0) {
		if (m.route == NULL || m.nparams > GW_MAX_PARAMS ||
		    gw_path_check(s) != 0 ||
		    (m.rest[0] != '\0' && (m.rest < s || m.rest > s + size)))
			abort();
		for (i = 0; i < m.nparams; i++) {
			if (strlen(m.params[i].value) == 0 ||
			    strlen(m.params[i].value) > GW_PARAM_MAX ||
			    strchr(m.params[i].value, '/') != NULL)
				abort();
		}
	} else if (m.route != NULL || m.nparams != 0) {
		abort();
	}
}

/* gw_cache_value_decode: refused, or a value that re-encodes to exactly
 * the input (exact-size heap copy so ASan sees over-reads). */
static void
value(const uint8_t *data, size_t size)
{
	struct gw_cache_entry e;
	unsigned char *buf, *again;
	uint64_t g;
	size_t n = 0;

	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		return;
	memcpy(buf, data, size);
	if (gw_cache_value_decode(buf, size, &g, &e) == 0) {
		if ((again = malloc(size)) == NULL)
			abort();
		if (gw_cache_value_encode(g, &e, again, size, &n) != 0 ||
		    n != size || memcmp(again, buf, size) != 0)
			abort();
		free(again);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	entry(data, size);
	value(data, size);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	text(s, size);
	free(s);
	return 0;
}
