/*
 * The upstream client's HTTP/1.1 wire format (gateway/src/proxy/h1.c): the
 * incremental response parser fed whole and a byte at a time (the same
 * answer either way), framing by Content-Length, chunked and the end of the
 * connection, what has no body, the limits, every malformation refused, and
 * the request writer refusing header injection.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/h1.h"

#define MAX_BODY 1000

struct parsed {
	struct gw_h1_resp r;
	char *buf;
	size_t len;
	int rc;
};

/* Feed `text` in pieces of `piece` bytes (0: at once) into one growing
 * buffer, as the client does; with eof, the peer closes after it. */
static void
parse_in(struct parsed *p, const char *text, size_t n, size_t piece, int eof,
         int head_only)
{
	size_t off = 0, k;

	gw_h1_resp_init(&p->r, head_only, MAX_BODY);
	p->buf = malloc(n + 1);
	ck_assert_ptr_nonnull(p->buf);
	p->len = 0;
	p->rc = 0;
	if (piece == 0)
		piece = n;
	while (off < n && p->rc == 0) {
		k = n - off < piece ? n - off : piece;
		memcpy(p->buf + p->len, text + off, k);
		p->len += k;
		off += k;
		p->rc = gw_h1_resp_feed(&p->r, p->buf, &p->len);
	}
	if (p->rc == 0 && eof)
		p->rc = gw_h1_resp_eof(&p->r, p->buf, &p->len);
}

static void
parse_s(struct parsed *p, const char *text)
{
	parse_in(p, text, strlen(text), 0, 0, 0);
}

static int
parse_rc(const char *text, int eof)
{
	struct parsed p;
	int rc;

	parse_in(&p, text, strlen(text), 0, eof, 0);
	rc = p.rc;
	free(p.buf);
	return rc;
}

static const char *
field(const struct parsed *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->r.nfields; i++)
		if (strcasecmp(p->buf + p->r.field[i].name, name) == 0)
			return p->buf + p->r.field[i].value;
	return NULL;
}

static void
body_is(const struct parsed *p, const char *want)
{
	ck_assert_uint_eq(p->r.body_len, strlen(want));
	ck_assert(memcmp(p->buf + p->r.body_off, want, strlen(want)) == 0);
}

START_TEST(test_content_length)
{
	static const char a[] = "HTTP/1.1 200 OK\r\n"
	                        "Content-Type: application/json\r\n"
	                        "Content-Length: 11\r\n"
	                        "ETag:  \"v1\" \t\r\n"
	                        "\r\n"
	                        "{\"ok\":true}";
	struct parsed p;
	size_t piece;

	for (piece = 0; piece <= 7; piece++) {
		parse_in(&p, a, strlen(a), piece, 0, 0);
		ck_assert_int_eq(p.rc, 1);
		ck_assert_int_eq(p.r.status, 200);
		ck_assert_int_eq(p.r.keep_alive, 1);
		ck_assert_uint_eq(p.r.nfields, 3);
		ck_assert_str_eq(field(&p, "content-type"), "application/json");
		ck_assert_str_eq(field(&p, "etag"), "\"v1\"");
		body_is(&p, "{\"ok\":true}");
		ck_assert_uint_eq(p.r.end, strlen(a));
		free(p.buf);
	}
}
END_TEST

START_TEST(test_chunked_in_place)
{
	static const char a[] = "HTTP/1.1 201 Created\n"
	                        "Transfer-Encoding: chunked\n"
	                        "X-A: 1\n"
	                        "\n"
	                        "5;name=\"v\"\r\nhello\r\n"
	                        "1 \r\n,\r\n"
	                        "A\r\n world!!!!\r\n"
	                        "0\r\n"
	                        "Checksum: x\r\n"
	                        "\r\n";
	struct parsed p;
	size_t piece;

	for (piece = 0; piece <= 5; piece++) {
		parse_in(&p, a, strlen(a), piece, 0, 0);
		ck_assert_int_eq(p.rc, 1);
		ck_assert_int_eq(p.r.status, 201);
		ck_assert_int_eq(p.r.keep_alive, 1);
		ck_assert_str_eq(field(&p, "x-a"), "1");
		body_is(&p, "hello, world!!!!");
		/* the framing is gone: the buffer ends with the body */
		ck_assert_uint_eq(p.len, p.r.body_off + p.r.body_len);
		ck_assert_uint_eq(p.r.end, p.len);
		free(p.buf);
	}
	/* bytes after the answer: the connection is not reused */
	parse_s(&p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	            "2\r\nab\r\n0\r\n\r\nHTTP/1.1 200");
	ck_assert_int_eq(p.rc, 1);
	body_is(&p, "ab");
	ck_assert_int_eq(p.r.keep_alive, 0);
	free(p.buf);
}
END_TEST

START_TEST(test_interim_and_no_body)
{
	struct parsed p;
	static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n"
	                              "HTTP/1.1 103 Early Hints\r\n"
	                              "Link: </a>\r\n\r\n"
	                              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	                              "\r\nok";
	static const char head[] =
	    "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n";

	parse_in(&p, interim, strlen(interim), 3, 0, 0);
	ck_assert_int_eq(p.rc, 1);
	ck_assert_int_eq(p.r.status, 200);
	ck_assert_uint_eq(p.r.nfields, 1);
	ck_assert_ptr_null(field(&p, "link"));
	body_is(&p, "ok");
	free(p.buf);

	/* HEAD: the Content-Length describes a body that is not sent */
	parse_in(&p, head, strlen(head), 0, 0, 1);
	ck_assert_int_eq(p.rc, 1);
	ck_assert_uint_eq(p.r.body_len, 0);
	ck_assert_str_eq(field(&p, "content-length"), "50");
	free(p.buf);
	ck_assert_int_eq(
	    parse_rc("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
	             0),
	    1);
	ck_assert_int_eq(parse_rc("HTTP/1.1 204 No Content\r\n"
	                          "Transfer-Encoding: chunked\r\n\r\n",
	                          0),
	                 1);
}
END_TEST

START_TEST(test_close_delimited_and_eof)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nX: y\r\n\r\nuntil the end";
	struct parsed p;

	parse_in(&p, a, strlen(a), 4, 0, 0);
	ck_assert_int_eq(p.rc, 0); /* not complete before the close */
	ck_assert_int_eq(gw_h1_resp_eof(&p.r, p.buf, &p.len), 1);
	ck_assert_int_eq(p.r.keep_alive, 0);
	body_is(&p, "until the end");
	free(p.buf);
	/* cut short: in the head, in a Content-Length body, in a chunk */
	ck_assert_int_eq(parse_rc("HTTP/1.1 200 OK\r\nX: y\r\n", 1), -EPIPE);
	ck_assert_int_eq(
	    parse_rc("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", 1),
	    -EPIPE);
	ck_assert_int_eq(parse_rc("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	                          "chunked\r\n\r\n5\r\nab",
	                          1),
	                 -EPIPE);
	ck_assert_int_eq(parse_rc("", 1), -EPIPE);
}
END_TEST

START_TEST(test_fields_and_connection)
{
	struct parsed p;
	static const char fold[] = "HTTP/1.1 200 OK\r\nX-Long: one\r\n"
	                           "  two\r\n\tthree \r\nContent-Length: "
	                           "3, 3\r\ncontent-length: 3\r\n\r\nabc";

	parse_in(&p, fold, strlen(fold), 2, 0, 0);
	ck_assert_int_eq(p.rc, 1);
	ck_assert_str_eq(field(&p, "x-long"), "one    two   three");
	body_is(&p, "abc");
	free(p.buf);

	parse_s(&p, "HTTP/1.1 200 OK\r\nConnection: foo, close\r\n"
	            "Content-Length: 0\r\n\r\n");
	ck_assert_int_eq(p.rc, 1);
	ck_assert_int_eq(p.r.keep_alive, 0);
	free(p.buf);
	parse_s(&p, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
	ck_assert_int_eq(p.rc, 1);
	ck_assert_int_eq(p.r.minor, 0);
	ck_assert_int_eq(p.r.keep_alive, 0);
	free(p.buf);
	parse_s(&p, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
	            "Content-Length: 0\r\n\r\n");
	ck_assert_int_eq(p.rc, 1);
	ck_assert_int_eq(p.r.keep_alive, 1);
	free(p.buf);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *const bad[] = {
	    "HTTP/2 200 OK\r\n\r\n",
	    "HTTP/1.1 20 OK\r\n\r\n",
	    "HTTP/1.1 2000 OK\r\n\r\n",
	    "HTTP/1.1 600 Odd\r\n\r\n",
	    "HTTP/1.1 099 Odd\r\n\r\n",
	    "HTTP/1.1 101 Switching Protocols\r\n\r\n",
	    "HTTP/1.1  200 OK\r\n\r\n",
	    "http/1.1 200 OK\r\n\r\n",
	    "ICY 200 OK\r\n\r\n",
	    "HTTP/1.1 200 O\rK\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n: y\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nX\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nX(: y\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nX: a\x01"
	    "b\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n folded: first\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1,\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 3\r\n\r\n",
	    "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "1x\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "10000000000000000\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nabc\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0\r\nbad trailer\r\n\r\n",
	    NULL};
	int i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(parse_rc(bad[i], 1) == -EBADMSG, "accepted: %s",
		              bad[i]);
}
END_TEST

START_TEST(test_limits)
{
	char *a = malloc(GW_H1_HEAD_MAX + 200);
	size_t n;
	int i;

	ck_assert_ptr_nonnull(a);
	n = (size_t)sprintf(a, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < GW_H1_FIELDS_MAX; i++)
		n += (size_t)sprintf(a + n, "X-%d: v\r\n", i);
	strcpy(a + n, "Content-Length: 0\r\n\r\n");
	ck_assert_int_eq(parse_rc(a, 0), -E2BIG);
	/* exactly the maximum is fine */
	n = (size_t)sprintf(a, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < GW_H1_FIELDS_MAX - 1; i++)
		n += (size_t)sprintf(a + n, "X-%d: v\r\n", i);
	strcpy(a + n, "Content-Length: 0\r\n\r\n");
	ck_assert_int_eq(parse_rc(a, 0), 1);
	/* one long line, never ended */
	n = (size_t)sprintf(a, "HTTP/1.1 200 OK\r\nX: ");
	memset(a + n, 'v', GW_H1_HEAD_MAX);
	a[n + GW_H1_HEAD_MAX] = '\0';
	ck_assert_int_eq(parse_rc(a, 0), -E2BIG);
	free(a);

	ck_assert_int_eq(parse_rc("HTTP/1.1 200 OK\r\nContent-Length: 1001"
	                          "\r\n\r\n",
	                          0),
	                 -EMSGSIZE);
	ck_assert_int_eq(parse_rc("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	                          "chunked\r\n\r\n1F4\r\n",
	                          0),
	                 0);
	ck_assert_int_eq(parse_rc("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	                          "chunked\r\n\r\n3E9\r\n",
	                          0),
	                 -EMSGSIZE);
	a = malloc(2000);
	ck_assert_ptr_nonnull(a);
	n = (size_t)sprintf(a, "HTTP/1.1 200 OK\r\n\r\n");
	memset(a + n, 'b', 1001);
	a[n + 1001] = '\0';
	ck_assert_int_eq(parse_rc(a, 1), -EMSGSIZE);
	a[n + 1000] = '\0';
	ck_assert_int_eq(parse_rc(a, 1), 1);
	free(a);
}
END_TEST

START_TEST(test_request_writer)
{
	struct gw_h1_buf b = {NULL, 0, 0};
	char host[64], auth[64];
	unsigned port = 0;

	ck_assert_int_eq(gw_h1_req_line(&b, "GET", "/v1/x?a=1"), 0);
	ck_assert_int_eq(gw_h1_req_field(&b, "X-Request-Id", "abc"), 0);
	ck_assert_int_eq(gw_h1_req_field(&b, "X-Empty", ""), 0);
	ck_assert_int_eq(gw_h1_req_field(&b, "X-Bad", "a\r\nInjected: 1"),
	                 -EINVAL);
	ck_assert_int_eq(gw_h1_req_field(&b, "X Bad", "a"), -EINVAL);
	ck_assert_int_eq(gw_h1_req_field(&b, "", "a"), -EINVAL);
	ck_assert_int_eq(gw_h1_req_line(&b, "G T", "/"), -EINVAL);
	ck_assert_int_eq(gw_h1_req_line(&b, "GET", "/a b"), -EINVAL);
	ck_assert_int_eq(gw_h1_req_line(&b, "GET", ""), -EINVAL);
	ck_assert_int_eq(gw_h1_buf_put(&b, "\r\n", 2), 0);
	ck_assert_uint_eq(b.len,
	                  strlen("GET /v1/x?a=1 HTTP/1.1\r\n"
	                         "X-Request-Id: abc\r\nX-Empty: \r\n\r\n"));
	ck_assert(memcmp(b.p,
	                 "GET /v1/x?a=1 HTTP/1.1\r\nX-Request-Id: abc\r\n"
	                 "X-Empty: \r\n\r\n",
	                 b.len) == 0);
	gw_h1_buf_free(&b);

	ck_assert_int_eq(gw_h1_url_split("http://funding:8081", host,
	                                 sizeof(host), auth, sizeof(auth),
	                                 &port),
	                 0);
	ck_assert_str_eq(host, "funding");
	ck_assert_str_eq(auth, "funding:8081");
	ck_assert_uint_eq(port, 8081);
	ck_assert_int_eq(gw_h1_url_split("http://[::1]:9/base", host,
	                                 sizeof(host), auth, sizeof(auth),
	                                 &port),
	                 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_str_eq(auth, "[::1]:9");
	ck_assert_uint_eq(port, 9);
	ck_assert_int_eq(gw_h1_url_split("http://h", host, sizeof(host), auth,
	                                 sizeof(auth), &port),
	                 0);
	ck_assert_uint_eq(port, 80);
	ck_assert_int_eq(gw_h1_url_split("https://h", host, sizeof(host), auth,
	                                 sizeof(auth), &port),
	                 -EINVAL);
	ck_assert_int_eq(gw_h1_url_split("http://h:0", host, sizeof(host), auth,
	                                 sizeof(auth), &port),
	                 -EINVAL);
	ck_assert_int_eq(gw_h1_url_split("http://h:65536", host, sizeof(host),
	                                 auth, sizeof(auth), &port),
	                 -EINVAL);
	ck_assert_int_eq(gw_h1_url_split("http://:80", host, sizeof(host), auth,
	                                 sizeof(auth), &port),
	                 -EINVAL);
	ck_assert_int_eq(gw_h1_url_split("http://h:8x", host, sizeof(host),
	                                 auth, sizeof(auth), &port),
	                 -EINVAL);

	ck_assert_int_eq(gw_h1_list_has("keep-alive, Close ", "close"), 1);
	ck_assert_int_eq(gw_h1_list_has("closed", "close"), 0);
	ck_assert_int_eq(gw_h1_list_has(NULL, "close"), 0);
}
END_TEST

static Suite *
h1_suite(void)
{
	Suite *s = suite_create("gateway_h1");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_content_length);
	tcase_add_test(tc, test_chunked_in_place);
	tcase_add_test(tc, test_interim_and_no_body);
	tcase_add_test(tc, test_close_delimited_and_eof);
	tcase_add_test(tc, test_fields_and_connection);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_request_writer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(h1_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
