/*
 * fuzz_gw_h1: the upstream client's response parser (gateway/src/proxy/h1.c)
 * on arbitrary bytes from the service, fed at once and in pieces whose size
 * the first byte chooses: both ways must give the same verdict, the same
 * status, fields and body (not keep_alive: bytes after the answer that
 * arrived with it make a connection unusable), everything inside the buffer (an
 * exact-size heap copy, so ASan sees any over-read), NUL-terminated fields, a
 * body no longer than the limit. The rest of the bytes also go through
 * gw_h1_url_split. Built and run by scripts/fuzz.sh (make fuzz).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BODY_MAX 4096

struct run {
	struct gw_h1_resp r;
	char *buf;
	size_t len;
	int rc;
};

static void
run(struct run *x, const uint8_t *data, size_t size, size_t piece,
    int head_only)
{
	size_t off = 0, k;

	gw_h1_resp_init(&x->r, head_only, BODY_MAX);
	if ((x->buf = malloc(size + 1)) == NULL)
		abort();
	x->len = 0;
	x->rc = 0;
	while (off < size && x->rc == 0) {
		k = size - off < piece ? size - off : piece;
		memcpy(x->buf + x->len, data + off, k);
		x->len += k;
		off += k;
		x->rc = gw_h1_resp_feed(&x->r, x->buf, &x->len);
	}
	if (x->rc == 0)
		x->rc = gw_h1_resp_eof(&x->r, x->buf, &x->len);
}

static void
check(const struct run *x)
{
	size_t i;

	if (x->rc != 1 && x->rc != -EBADMSG && x->rc != -EMSGSIZE &&
	    x->rc != -E2BIG && x->rc != -EPIPE)
		abort();
	if (x->rc != 1)
		return;
	if (x->r.status < 200 || x->r.status > 599 ||
	    x->r.body_len > BODY_MAX ||
	    x->r.body_off + x->r.body_len > x->len || x->r.end > x->len ||
	    x->r.nfields > GW_H1_FIELDS_MAX)
		abort();
	for (i = 0; i < x->r.nfields; i++)
		if (x->r.field[i].name >= x->r.body_off ||
		    x->r.field[i].value >= x->r.body_off ||
		    memchr(x->buf + x->r.field[i].value, '\0',
		           x->r.body_off - x->r.field[i].value) == NULL ||
		    x->buf[x->r.field[i].name] == '\0')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;
	char host[64], auth[64], *url;
	unsigned port;
	size_t piece, i;

	if (size < 1)
		return 0;
	piece = 1 + data[0] % 17;
	run(&a, data + 1, size - 1, size, data[0] & 0x80);
	run(&b, data + 1, size - 1, piece, data[0] & 0x80);
	check(&a);
	check(&b);
	if (a.rc != b.rc)
		abort();
	if (a.rc == 1) {
		if (a.r.status != b.r.status || a.r.nfields != b.r.nfields ||
		    a.r.body_len != b.r.body_len ||
		    memcmp(a.buf + a.r.body_off, b.buf + b.r.body_off,
		           a.r.body_len) != 0)
			abort();
		for (i = 0; i < a.r.nfields; i++)
			if (strcmp(a.buf + a.r.field[i].name,
			           b.buf + b.r.field[i].name) != 0 ||
			    strcmp(a.buf + a.r.field[i].value,
			           b.buf + b.r.field[i].value) != 0)
				abort();
	}
	free(a.buf);
	free(b.buf);

	if ((url = malloc(size)) == NULL)
		abort();
	memcpy(url, data + 1, size - 1);
	url[size - 1] = '\0';
	if (gw_h1_url_split(url, host, sizeof(host), auth, sizeof(auth),
	                    &port) == 0 &&
	    (host[0] == '\0' || port == 0 || port > 65535 ||
	     strlen(auth) < strlen(host)))
		abort();
	free(url);
	return 0;
}
