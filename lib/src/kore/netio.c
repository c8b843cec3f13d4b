/*
 * How a worker reads its clients' sockets: two costs of Kore 4.1's reads
 * that every request paid.
 *
 * One read too many. Kore's sockets are edge-triggered, and Kore reads
 * each until recv() says EAGAIN: after the read that brought a request,
 * one more recv() per request, always empty (it came after each answer,
 * from http_start_recv). A recv() that fills less than the room it was
 * given has emptied the socket's queue at that moment, and any byte that
 * arrives later raises a new edge, which brings the connection back
 * through its handler. So after such a short read the next read of the
 * same handler call is answered "would block" without asking the kernel
 * (conn_read), and every handler call starts by forgetting it
 * (conn_handle): what arrived in between is read on the edge it raised.
 *
 * A header buffer allocated and zeroed per request. Kore keeps a receive
 * buffer only if it is smaller than 4 KiB; a bigger http_header_max
 * (the gateway's 32 KiB, so that an 8-32 KiB header block gets a 431
 * problem rather than a reset) meant a 32 KiB calloc and free per
 * request, a tenth of a cached answer's CPU. Requests are read into 8 KiB
 * buffers from Kore's own pool instead, and a header block that fills one
 * moves to a buffer of the configured size (conn_grow) before the next
 * read: the same limit, paid only by the requests that need it.
 *
 * Plain sockets only (net_read): a TLS listener keeps Kore's own reads.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "mp/runtime.h"

#define NETIO_FIRST_BUF 8192 /* Kore's largest pooled block */

static uint8_t *drained; /* by fd: the last read of this call was short */
static size_t ndrained;
static size_t header_cap; /* the .conf's http_header_max */

static int conn_read(struct connection *c, size_t *bytes);
static int conn_handle(struct connection *c);

void
mp_netio_worker_start(void)
{
	struct rlimit rl;

	header_cap = http_header_max;
	if (http_header_max > NETIO_FIRST_BUF)
		http_header_max = NETIO_FIRST_BUF;
	ndrained = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= 1u << 20)
		ndrained = (size_t)rl.rlim_cur;
	drained = ndrained > 0 ? kore_calloc(ndrained, 1) : NULL;
}

void
mp_netio_connection(struct connection *c)
{
	if (c->read != net_read || c->handle != kore_connection_handle)
		return;
	c->read = conn_read;
	c->handle = conn_handle;
	if (c->fd >= 0 && (size_t)c->fd < ndrained)
		drained[c->fd] = 0;
}

static int
conn_handle(struct connection *c)
{
	if ((size_t)c->fd < ndrained)
		drained[c->fd] = 0;
	return kore_connection_handle(c);
}

/* A header block that filled the first buffer: carry it over into one of
 * the configured size. Nothing points into the buffer yet (Kore parses
 * the block only once it is whole). */
static void
conn_grow(struct netbuf *nb)
{
	u_int8_t *buf = kore_malloc(header_cap);

	memcpy(buf, nb->buf, nb->s_off);
	kore_free(nb->buf);
	nb->buf = buf;
	nb->m_len = nb->b_len = header_cap;
}

static int
conn_read(struct connection *c, size_t *bytes)
{
	struct netbuf *nb = c->rnb;
	int short_read_possible = (size_t)c->fd < ndrained;
	size_t room;

	if (short_read_possible && drained[c->fd]) {
		drained[c->fd] = 0;
		c->evt.flags &= ~KORE_EVENT_READ; /* as on EAGAIN */
		*bytes = 0;
		return KORE_RESULT_OK;
	}
	if (nb->cb == http_header_recv && nb->s_off == nb->b_len &&
	    nb->b_len < header_cap)
		conn_grow(nb);
	room = nb->b_len - nb->s_off;
	if (!net_read(c, bytes))
		return KORE_RESULT_ERROR;
	if (short_read_possible && (c->evt.flags & KORE_EVENT_READ) &&
	    *bytes > 0 && *bytes < room)
		drained[c->fd] = 1;
	return KORE_RESULT_OK;
}

/* Decimal digits of an octet at p; returns their count. */
static size_t
put_octet(char *p, unsigned v)
{
	size_t n = 0;

	if (v >= 100)
		p[n++] = (char)('0' + v / 100);
	if (v >= 10)
		p[n++] = (char)('0' + v / 10 % 10);
	p[n++] = (char)('0' + v % 10);
	return n;
}

void
mp_peer_addr(const struct connection *c, char *out, size_t outlen)
{
	const unsigned char *a;
	char buf[16];
	size_t n = 0;
	int i;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (c == NULL)
		return;
	if (c->family == AF_INET) {
		/* what inet_ntop writes, without its sprintf per request */
		a = (const unsigned char *)&c->addr.ipv4.sin_addr;
		for (i = 0; i < 4; i++) {
			if (i > 0)
				buf[n++] = '.';
			n += put_octet(buf + n, a[i]);
		}
		if (n < outlen) {
			memcpy(out, buf, n);
			out[n] = '\0';
		}
	} else if (c->family == AF_INET6) {
		if (inet_ntop(AF_INET6, &c->addr.ipv6.sin6_addr, out,
		              (socklen_t)outlen) == NULL)
			out[0] = '\0';
	}
}
