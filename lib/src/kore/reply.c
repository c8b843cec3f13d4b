/*
 * Answers: JSON, problem+json and the headers every response carries
 * (request id, security headers). Also the request-side readers that
 * answer the client themselves on bad input (the *_or_reply helpers), so
 * handlers read top to bottom as the happy path.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "mp/authz.h"
#include "mp/log.h"
#include "mp/body.h"
#include "mp/problem.h"
#include "mp/query.h"
#include "mp/runtime.h"
#include "mp/service.h"

static void common_headers(struct mp_ctx *ctx);

static void
common_headers(struct mp_ctx *ctx)
{
	mp_reply_header(ctx, "X-Request-Id", ctx->request_id);
	mp_reply_header(ctx, "X-Content-Type-Options", "nosniff");
	/* the default, unless the handler said otherwise: one value only
	 * (a second Cache-Control header made "public, max-age=300" read as
	 * "public, max-age=300, no-store") */
	if (!ctx->cache_control_set)
		mp_reply_header(ctx, "Cache-Control", "no-store");
	mp_reply_header(ctx, "Content-Language", ctx->lang);
}

const char *
mp_header(const struct mp_ctx *ctx, const char *name)
{
	const char *v = NULL;

	if (!http_request_header(ctx->req, name, &v))
		return NULL;
	return v;
}

/*
 * Response headers. Kore keeps each header of an answer as an allocated
 * name and value and prints each with its own "%s: %s\r\n" when the answer
 * goes out: on the gateway's cached path, a score of headers made that a
 * tenth of the request's CPU. The library instead keeps a request's header
 * lines in one buffer, written as they are into the answer's head
 * (mp_reply_send): the bytes on the wire are the same, for one copy and no
 * format. Since the lines go out as they are, nothing may add a CR or LF
 * of its own: hdr_ok refuses it.
 */

/* Byte classes of header names and values: bit 1, a token character
 * (RFC 9110 5.6.2); bit 2, a byte a value may carry (HTAB, SP, VCHAR,
 * obs-text: no NUL, CR, LF or other control character, no DEL). */
static unsigned char hdr_class[256];
#define ONES 0x0101010101010101ULL /* a byte's value in every byte */

static void
hdr_class_init(void)
{
	static const char tspecial[] = "!#$%&'*+-.^_`|~";
	unsigned c;

	for (c = 0; c < 256; c++) {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') ||
		    (c != 0 && strchr(tspecial, (int)c) != NULL))
			hdr_class[c] |= 1;
		if (c == '\t' || (c >= 0x20 && c != 0x7f))
			hdr_class[c] |= 2;
	}
}

/* An HTTP token of at most 64 bytes, and a value of allowed bytes. */
static int
hdr_ok(const char *name, size_t nlen, const char *value, size_t vlen)
{
	const unsigned char *n = (const unsigned char *)name;
	const unsigned char *v = (const unsigned char *)value;
	unsigned bad = 0;
	size_t i;

	if (hdr_class['a'] == 0)
		hdr_class_init();
	if (nlen == 0 || nlen > 64)
		return 0;
	for (i = 0; i < nlen; i++)
		bad |= ~hdr_class[n[i]] & 1u;
	/* the value eight bytes at a time: a word with no byte below 0x20
	 * and none equal to 0x7f is clean; only a word with one (a HTAB,
	 * or a byte to refuse) is looked at byte by byte */
	for (i = 0; i + 8 <= vlen; i += 8) {
		uint64_t w, low, del;
		size_t k;

		memcpy(&w, v + i, 8);
		low = (w - ONES * 0x20) & ~w & ONES * 0x80;
		del = ((w ^ ONES * 0x7f) - ONES) & ~(w ^ ONES * 0x7f) &
		      ONES * 0x80;
		if ((low | del) != 0)
			for (k = 0; k < 8; k++)
				bad |= ~hdr_class[v[i + k]] & 2u;
	}
	for (; i < vlen; i++)
		bad |= ~hdr_class[v[i]] & 2u;
	return bad == 0;
}

static int
hdr_reserve(struct mp_ctx *ctx, size_t more)
{
	size_t cap;
	char *p;

	if (ctx->hdr == NULL) {
		ctx->hdr = ctx->hdr_inline;
		ctx->hdr_cap = sizeof(ctx->hdr_inline);
	}
	if (ctx->hdr_cap - ctx->hdr_len >= more)
		return 0;
	for (cap = ctx->hdr_cap * 2; cap - ctx->hdr_len < more; cap *= 2)
		;
	if (ctx->hdr == ctx->hdr_inline) {
		if ((p = malloc(cap)) != NULL)
			memcpy(p, ctx->hdr, ctx->hdr_len);
	} else {
		p = realloc(ctx->hdr, cap);
	}
	if (p == NULL)
		return -ENOMEM;
	ctx->hdr = p;
	ctx->hdr_cap = cap;
	return 0;
}

void
mp_reply_header(struct mp_ctx *ctx, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	char *p;

	if (!hdr_ok(name, nlen, value, vlen)) {
		mp_log(MP_LOG_ERROR, "http",
		       "response header %.64s dropped: not a token, or a "
		       "control character in its value",
		       name);
		return;
	}
	if (hdr_reserve(ctx, nlen + vlen + 4) != 0) {
		mp_log(MP_LOG_ERROR, "http",
		       "response header %.64s dropped: out of memory", name);
		return;
	}
	if (nlen == 13 && strcasecmp(name, "Cache-Control") == 0)
		ctx->cache_control_set = 1;
	p = ctx->hdr + ctx->hdr_len;
	memcpy(p, name, nlen);
	p[nlen] = ':';
	p[nlen + 1] = ' ';
	memcpy(p + nlen + 2, value, vlen);
	p[nlen + 2 + vlen] = '\r';
	p[nlen + 3 + vlen] = '\n';
	ctx->hdr_len += nlen + vlen + 4;
}

void
mp_reply_header_set(struct mp_ctx *ctx, const char *name, const char *value)
{
	size_t nlen = strlen(name), off = 0, end;
	char *line;

	while (off < ctx->hdr_len) {
		line = ctx->hdr + off;
		end = off +
		      (size_t)((char *)memchr(line, '\n', ctx->hdr_len - off) -
		               line) +
		      1;
		if (end - off > nlen && line[nlen] == ':' &&
		    strncasecmp(line, name, nlen) == 0) {
			memmove(line, ctx->hdr + end, ctx->hdr_len - end);
			ctx->hdr_len -= end - off;
			continue;
		}
		off = end;
	}
	mp_reply_header(ctx, name, value);
}

/*
 * The head of an answer, written here rather than by Kore's
 * http_response_normal: the same bytes (status line, Server, Kore's
 * connection and keep-alive lines, our header lines, Content-Length, the
 * blank line), in one buffer per worker, without a format string per line
 * or a copy of the header block. Kore's own answers (its 400s, 408s...)
 * still go through Kore; the Server token is set for both from one
 * constant (MP_HTTP_SERVER, settings_apply).
 */
static char *wire;
static size_t wire_cap;

static int
wire_reserve(size_t need)
{
	size_t cap = wire_cap ? wire_cap : 2048;
	char *p;

	if (need <= wire_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(wire, cap)) == NULL)
		return -ENOMEM;
	wire = p;
	wire_cap = cap;
	return 0;
}

/* Decimal digits of v at p (at most 20); returns their count. */
static size_t
put_dec(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

static size_t
put_str(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return n;
}

/* Whether the connection closes after this answer, as Kore decides it. */
static int
wire_closes(struct http_request *req, struct connection *c)
{
	const char *v;

	if ((c->flags & CONN_CLOSE_EMPTY) || (req->flags & HTTP_VERSION_1_0))
		return 1;
	if (http_request_header(req, "connection", &v) &&
	    (*v == 'c' || *v == 'C') && strcasecmp(v, "close") == 0)
		return 1;
	return http_keepalive_time == 0;
}

static void
wire_send(struct mp_ctx *ctx, int status, const void *data, size_t len)
{
	static const char server[] = "server: " MP_HTTP_SERVER "\r\n";
	static const char close_line[] = "connection: close\r\n";
	static char keep[64], hsts[96];
	static size_t keep_len, hsts_len;
	struct http_request *req = ctx->req;
	struct connection *c = req->owner;
	const char *text = http_status_text(status);
	size_t tlen = strlen(text), n = 0;
	char *p;

	if (keep_len == 0) {
		/* Kore's settings, fixed once the worker runs */
		keep_len = (size_t)snprintf(keep, sizeof(keep),
		                            "connection: keep-alive\r\n"
		                            "keep-alive: timeout=%u\r\n",
		                            (unsigned)http_keepalive_time);
		if (http_hsts_enable)
			hsts_len = (size_t)snprintf(
			    hsts, sizeof(hsts),
			    "strict-transport-security: max-age=%llu; "
			    "includeSubDomains\r\n",
			    (unsigned long long)http_hsts_enable);
	}
	if (wire_reserve(64 + tlen + sizeof(server) + keep_len + hsts_len +
	                 ctx->hdr_len + 48) != 0) {
		mp_log(MP_LOG_ERROR, "http", "answer dropped: out of memory");
		c->flags |= CONN_CLOSE_EMPTY;
		return;
	}
	p = wire;
	n += put_str(p + n, "HTTP/1.", 7);
	p[n++] = (req->flags & HTTP_VERSION_1_0) ? '0' : '1';
	p[n++] = ' ';
	n += put_dec(p + n, (uint64_t)status);
	p[n++] = ' ';
	n += put_str(p + n, text, tlen);
	n += put_str(p + n, "\r\n", 2);
	n += put_str(p + n, server, sizeof(server) - 1);
	if (wire_closes(req, c)) {
		c->flags |= CONN_CLOSE_EMPTY;
		n += put_str(p + n, close_line, sizeof(close_line) - 1);
	} else {
		n += put_str(p + n, keep, keep_len);
	}
	n += put_str(p + n, hsts, hsts_len);
	if (ctx->hdr_len > 0)
		n += put_str(p + n, ctx->hdr, ctx->hdr_len);
	if (status != 204 && status >= 200 &&
	    !(req->flags & HTTP_REQUEST_NO_CONTENT_LENGTH)) {
		n += put_str(p + n, "content-length: ", 16);
		n += put_dec(p + n, (uint64_t)len);
		n += put_str(p + n, "\r\n", 2);
	}
	n += put_str(p + n, "\r\n", 2);
	net_send_queue(c, wire, n);
	if (data != NULL && len > 0 && req->method != HTTP_METHOD_HEAD)
		net_send_queue(c, data, len);
	if (!(c->flags & CONN_CLOSE_EMPTY) && !(c->flags & CONN_IS_BUSY))
		http_start_recv(c);
	req->status = status;
	req->content_length = len;
}

int
mp_reply_send(struct mp_ctx *ctx, int status, const void *data, size_t len)
{
	struct connection *c = ctx->req->owner;
	char *colon;

	if (c != NULL && c->proto == CONN_PROTO_HTTP &&
	    !(http_pretty_error && data == NULL && status >= 400)) {
		wire_send(ctx, status, data, len);
		ctx->hdr_len = 0;
		return MP_DONE;
	}
	/* Kore's path (a setting this writer does not follow, or no
	 * connection): "A: 1\r\nB: 2\r\n" goes out as the header "A" whose
	 * value is "1\r\nB: 2", and Kore adds the last CRLF */
	if (ctx->hdr_len > 0) {
		colon = memchr(ctx->hdr, ':', ctx->hdr_len);
		*colon = '\0';
		ctx->hdr[ctx->hdr_len - 2] = '\0';
		http_response_header(ctx->req, ctx->hdr, colon + 2);
		ctx->hdr_len = 0;
	}
	http_response(ctx->req, status, data, len);
	return MP_DONE;
}

/* Release the header buffer (app.c, when the request ends). */
void
mp_reply_headers_free(struct mp_ctx *ctx)
{
	if (ctx->hdr != ctx->hdr_inline)
		free(ctx->hdr);
	ctx->hdr = NULL;
	ctx->hdr_len = ctx->hdr_cap = 0;
}

int
mp_reply_raw(struct mp_ctx *ctx, int status, const char *ctype,
             const void *data, size_t len)
{
	common_headers(ctx);
	if (ctype != NULL)
		mp_reply_header(ctx, "Content-Type", ctype);
	return mp_reply_send(ctx, status, data, len);
}

int
mp_reply_json(struct mp_ctx *ctx, int status, json_t *body)
{
	char *s;

	if (body == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (s == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	mp_reply_raw(ctx, status, "application/json", s, strlen(s));
	free(s);
	return MP_DONE;
}

int
mp_reply_problem_json(struct mp_ctx *ctx, json_t *problem)
{
	json_int_t status;
	char *s;

	if (problem == NULL) {
		static const char oom[] =
		    "{\"type\":\"urn:mp:problem:internal\","
		    "\"title\":\"Internal Server Error\",\"status\":500}";
		return mp_reply_raw(ctx, 500, "application/problem+json", oom,
		                    sizeof(oom) - 1);
	}
	status = json_integer_value(json_object_get(problem, "status"));
	if (status < 400 || status > 599)
		status = 500;
	json_object_set_new(problem, "request_id",
	                    json_string(ctx->request_id));
	if (ctx->req->path != NULL &&
	    json_object_get(problem, "instance") == NULL)
		json_object_set_new(problem, "instance",
		                    json_string(ctx->req->path));
	s = json_dumps(problem, JSON_COMPACT);
	json_decref(problem);
	if (s == NULL)
		return mp_reply_problem_json(ctx, NULL);
	mp_reply_raw(ctx, (int)status, "application/problem+json", s,
	             strlen(s));
	free(s);
	return MP_DONE;
}

int
mp_reply_method_not_allowed(struct mp_ctx *ctx, unsigned methods)
{
	char allow[96] = "";
	unsigned bit;

	/* Kore's method bits are 0x1 (GET) .. 0x80 (PATCH) */
	for (bit = 1; bit <= 0x80; bit <<= 1) {
		if (!(methods & bit))
			continue;
		if (allow[0] != '\0')
			strcat(allow, ", ");
		strcat(allow, http_method_text((int)bit));
	}
	mp_reply_header(ctx, "Allow", allow);
	return mp_reply_problem(ctx, 405, "method-not-allowed",
	                        "this method is not allowed on this resource");
}

int
mp_reply_problem(struct mp_ctx *ctx, int status, const char *slug,
                 const char *detail)
{
	return mp_reply_problem_json(
	    ctx,
	    mp_problem_new(status, slug, mp_http_status_title(status), detail));
}

int
mp_body_or_reply(struct mp_ctx *ctx, const struct mp_field *schema,
                 json_t **out)
{
	struct mp_body_limits lim;
	const char *ctype = mp_header(ctx, "content-type");
	struct kore_buf *buf;
	json_t *problem = NULL;
	ssize_t n;
	char chunk[8192];
	int rc;

	*out = NULL;
	if (ctype == NULL || strncasecmp(ctype, "application/json", 16) != 0 ||
	    (ctype[16] != '\0' && ctype[16] != ';')) {
		mp_reply_problem(ctx, 415, "unsupported-media-type",
		                 "send the body as application/json");
		return -EINVAL;
	}
	if (ctx->req->content_length > (size_t)mp_settings.body_max) {
		mp_reply_problem(ctx, 413, "body-too-large",
		                 "the request body is larger than allowed");
		return -E2BIG;
	}
	buf = kore_buf_alloc(ctx->req->content_length + 1);
	for (;;) {
		n = http_body_read(ctx->req, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		if (buf->offset + (size_t)n > (size_t)mp_settings.body_max) {
			kore_buf_free(buf);
			mp_reply_problem(
			    ctx, 413, "body-too-large",
			    "the request body is larger than allowed");
			return -E2BIG;
		}
		kore_buf_append(buf, chunk, (size_t)n);
	}
	if (n < 0) {
		kore_buf_free(buf);
		mp_reply_problem(ctx, 400, "unreadable-body",
		                 "the request body could not be read");
		return -EIO;
	}
	lim.max_bytes = (size_t)mp_settings.body_max;
	lim.max_depth = 16;
	rc = mp_body_parse((const char *)buf->data, buf->offset, schema, &lim,
	                   out, &problem);
	kore_buf_free(buf);
	if (rc == -E2BIG) {
		json_decref(problem);
		mp_reply_problem(ctx, 413, "body-too-large",
		                 "the request body is larger than allowed");
		return rc;
	}
	if (rc != 0) {
		mp_reply_problem_json(ctx, problem);
		return rc;
	}
	return 0;
}

int
mp_region_or_reply(struct mp_ctx *ctx, const char *region)
{
	if (mp_authz_region(&ctx->principal, region) == 0)
		return 0;
	mp_reply_problem(ctx, 404, "not-found", "no such resource");
	return -EACCES;
}

int
mp_role_or_reply(struct mp_ctx *ctx, unsigned roles)
{
	if (mp_authz_has_role(&ctx->principal, roles))
		return 0;
	mp_reply_problem(ctx, 403, "forbidden", "your role may not do this");
	return -EACCES;
}

void
mp_query_free(struct mp_ctx *ctx)
{
	struct mp_query *q = ctx->query_impl;

	if (q == NULL)
		return;
	mp_query_clear(q);
	free(q);
	ctx->query_impl = NULL;
}

int
mp_query_split_or_reply(struct mp_ctx *ctx)
{
	json_t *problem = NULL;
	struct mp_query *q;
	int rc;

	if (ctx->query_impl != NULL)
		return 0;
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		mp_reply_problem(ctx, 503, "overloaded",
		                 "out of memory; retry shortly");
		return -ENOMEM;
	}
	ctx->query_impl = q;
	if (ctx->route != NULL && (ctx->route->flags & MP_ROUTE_REPEATS))
		rc =
		    mp_query_split_repeats(ctx->req->query_string, q, &problem);
	else
		rc = mp_query_split(ctx->req->query_string, q, &problem);
	if (rc == 0)
		return 0;
	if (problem != NULL)
		mp_reply_problem_json(ctx, problem);
	else
		mp_reply_problem(ctx, 503, "overloaded",
		                 "out of memory; retry shortly");
	return rc;
}

int
mp_query_or_reply(struct mp_ctx *ctx, const struct mp_field *schema)
{
	json_t *problem;
	int rc;

	if ((rc = mp_query_split_or_reply(ctx)) != 0)
		return rc;
	if (schema == NULL)
		return 0;
	problem = mp_problem_new(400, "validation", NULL,
	                         "a query parameter is not valid");
	if (problem == NULL) {
		mp_reply_problem(ctx, 503, "overloaded",
		                 "out of memory; retry shortly");
		return -ENOMEM;
	}
	rc = mp_query_validate(ctx->query_impl, schema, problem);
	if (rc == 0) {
		json_decref(problem);
		return 0;
	}
	if (rc == -ENOMEM) {
		json_decref(problem);
		mp_reply_problem(ctx, 503, "overloaded",
		                 "out of memory; retry shortly");
		return rc;
	}
	mp_reply_problem_json(ctx, problem);
	return rc;
}

const char *
mp_query(struct mp_ctx *ctx, const char *name)
{
	/* the entry point split the query before any handler ran */
	if (ctx->query_impl == NULL)
		return NULL;
	return mp_query_get(ctx->query_impl, name);
}

int
mp_query_strict_or_reply(struct mp_ctx *ctx, const struct mp_field *allowed)
{
	const struct mp_query *q;
	const struct mp_field *f;
	json_t *problem;
	int i, rc;

	if ((rc = mp_query_split_or_reply(ctx)) != 0)
		return rc;
	q = ctx->query_impl;
	if ((problem = mp_problem_new(400, "bad-query", NULL,
	                              "the query string is not valid")) ==
	    NULL) {
		mp_reply_problem(ctx, 503, "overloaded",
		                 "out of memory; retry shortly");
		return -ENOMEM;
	}
	for (i = 0; i < q->n; i++) {
		for (f = allowed; f != NULL && f->name != NULL; f++)
			if (strcmp(q->names[i], f->name) == 0)
				break;
		if (f == NULL || f->name == NULL)
			(void)mp_problem_add_error(problem, q->names[i],
			                           "unknown query parameter");
	}
	if (mp_problem_error_count(problem) == 0) {
		json_decref(problem);
		return mp_query_or_reply(ctx, allowed);
	}
	mp_reply_problem_json(ctx, problem);
	return -EINVAL;
}
