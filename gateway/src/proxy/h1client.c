/*
 * The native HTTP/1.1 upstream client on Kore's event loop (contract in
 * h1client.h).
 *
 * Costs per exchange on a kept connection: one sendmsg, the reads the
 * answer needs (one, mostly), no epoll_ctl (connections are registered
 * once, edge-triggered, for reading and writing, for their whole life), no
 * allocation but the answer's buffer (the caller owns the exchange and the
 * request bytes).
 *
 * Edge-triggered registration means every handler reads until EAGAIN (or
 * the answer is complete: a read that filled the buffer to the last byte
 * leaves the connection in doubt, so it is not kept) and writes until done
 * or EAGAIN. An idle connection that becomes readable was closed by the
 * service (or sent what nobody asked for): it is closed.
 *
 * Connections live in a table indexed by descriptor whose entries are never
 * freed while the worker runs: epoll may still hold an event for a
 * descriptor closed earlier in the same batch, which then finds a free
 * entry (ignored) or the entry of a new connection that reuses the number
 * (a spurious wake-up, harmless: reads say EAGAIN). The generation counter
 * lets a handler notice that its connection was replaced under it (an
 * exchange ended and its done callback started another one).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kore/kore.h>

#include "mp/runtime.h"

#include "proxy/h1client.h"

enum { C_FREE = 0, C_CONNECTING, C_BUSY, C_IDLE };

struct gw_h1c_conn {
	struct kore_event evt; /* first member: Kore casts to it */
	int fd;
	int state;
	uint32_t gen; /* bumped at every open */
	struct gw_h1c_endpoint *ep;
	struct gw_h1c_xfer *x;
	uint64_t idle_until;
	TAILQ_ENTRY(gw_h1c_conn) link; /* ep->idle */
	TAILQ_ENTRY(gw_h1c_conn) all;  /* idle_all, oldest last */
};

static struct gw_h1c_conn *conn_get(int fd);
static void conn_close(struct gw_h1c_conn *c);
static void conn_idle(struct gw_h1c_conn *c);
static void conn_event(void *arg, int err);
static void conn_write(struct gw_h1c_conn *c);
static void conn_read(struct gw_h1c_conn *c, int hup);
static void conn_failed(struct gw_h1c_conn *c, enum gw_h1c_result r,
                        const char *what, int error);
static void xfer_go(struct gw_h1c_xfer *x);
static void xfer_open(struct gw_h1c_xfer *x);
static void xfer_end(struct gw_h1c_xfer *x, enum gw_h1c_result r, int keep);
static size_t xfer_total(const struct gw_h1c_xfer *x);
static void on_tick(void *arg, u_int64_t now);

/* Per worker. */
static struct gw_h1c_conn **conns;
static size_t nconns;
static TAILQ_HEAD(, gw_h1c_xfer) active = TAILQ_HEAD_INITIALIZER(active);
static TAILQ_HEAD(gw_h1c_conn_all,
                  gw_h1c_conn) idle_all = TAILQ_HEAD_INITIALIZER(idle_all);

int
gw_h1c_endpoint_init(struct gw_h1c_endpoint *ep, const char *base,
                     int64_t connect_ms)
{
	char authority[GW_BASE_MAX];
	int n;

	memset(ep, 0, sizeof(*ep));
	if (gw_h1_url_split(base, ep->host, sizeof(ep->host), authority,
	                    sizeof(authority), &ep->port) != 0)
		return -EINVAL;
	n = snprintf(ep->hostline, sizeof(ep->hostline), "Host: %s\r\n",
	             authority);
	if (n < 0 || (size_t)n >= sizeof(ep->hostline))
		return -EINVAL;
	ep->hostline_len = (size_t)n;
	ep->connect_ms = connect_ms;
	ep->m_opened = ep->m_reused = ep->m_idle = -1;
	TAILQ_INIT(&ep->idle);
	return 0;
}

int
gw_h1c_worker_init(void)
{
	return kore_timer_add(on_tick, GW_H1C_TICK_MS, NULL, 0) != NULL ? 0
	                                                                : -1;
}

const char *
gw_h1c_strerror(enum gw_h1c_result r)
{
	switch (r) {
	case GW_H1C_OK:
		return "no error";
	case GW_H1C_RESOLVE:
		return "could not resolve the host";
	case GW_H1C_CONNECT:
		return "could not connect";
	case GW_H1C_SEND:
		return "failed sending the request";
	case GW_H1C_NOTHING:
		return "closed without an answer";
	case GW_H1C_RECV:
		return "failed reading the answer";
	case GW_H1C_PARTIAL:
		return "closed in the middle of the answer";
	case GW_H1C_TIMEOUT:
		return "timed out";
	case GW_H1C_MALFORMED:
		return "malformed answer";
	case GW_H1C_TOO_BIG:
		return "answer too large";
	case GW_H1C_HEADERS:
		return "too many or too long header fields";
	case GW_H1C_NOMEM:
		return "out of memory";
	}
	return "unknown";
}

/* ---- connections -------------------------------------------------------- */

static struct gw_h1c_conn *
conn_get(int fd)
{
	struct gw_h1c_conn **grown;
	size_t n;

	if (fd < 0)
		return NULL;
	if ((size_t)fd >= nconns) {
		n = nconns == 0 ? 256 : nconns;
		while (n <= (size_t)fd)
			n *= 2;
		if ((grown = realloc(conns, n * sizeof(*conns))) == NULL)
			return NULL;
		memset(grown + nconns, 0, (n - nconns) * sizeof(*conns));
		conns = grown;
		nconns = n;
	}
	if (conns[fd] == NULL) {
		if ((conns[fd] = calloc(1, sizeof(*conns[fd]))) == NULL)
			return NULL;
		conns[fd]->evt.type = KORE_TYPE_CURL_HANDLE;
		conns[fd]->evt.handle = conn_event;
	}
	conns[fd]->fd = fd;
	conns[fd]->gen++;
	return conns[fd];
}

/* The endpoint's idle pool grew or shrank by delta (and its gauge). */
static void
idle_count(struct gw_h1c_endpoint *ep, int delta)
{
	ep->nidle += delta;
	mp_metrics_counter_add(ep->m_idle, delta);
}

/* close() also takes the descriptor out of epoll. */
static void
conn_close(struct gw_h1c_conn *c)
{
	if (c->state == C_IDLE) {
		TAILQ_REMOVE(&c->ep->idle, c, link);
		TAILQ_REMOVE(&idle_all, c, all);
		idle_count(c->ep, -1);
	}
	if (c->state != C_FREE)
		(void)close(c->fd);
	c->state = C_FREE;
	c->x = NULL;
	c->ep = NULL;
	c->evt.flags = 0;
}

static void
conn_idle(struct gw_h1c_conn *c)
{
	if (c->ep->nidle >= GW_H1C_IDLE_MAX) {
		conn_close(c);
		return;
	}
	c->state = C_IDLE;
	c->x = NULL;
	c->idle_until = kore_time_ms() + GW_H1C_IDLE_MS;
	TAILQ_INSERT_HEAD(&c->ep->idle, c, link);
	TAILQ_INSERT_HEAD(&idle_all, c, all);
	idle_count(c->ep, 1);
}

static void
conn_event(void *arg, int err)
{
	struct gw_h1c_conn *c = arg;
	int flags = c->evt.flags, soerr = 0;
	socklen_t slen = sizeof(soerr);
	uint32_t gen = c->gen;

	c->evt.flags = 0;
	switch (c->state) {
	case C_IDLE:
		if ((flags & KORE_EVENT_READ) || err)
			conn_close(c);
		return;
	case C_CONNECTING:
		if (!(flags & KORE_EVENT_WRITE) && !err)
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) !=
		        0 ||
		    soerr != 0) {
			c->ep->alen = 0; /* resolve again next time */
			conn_failed(c, GW_H1C_CONNECT, "connect",
			            soerr != 0 ? soerr : errno);
			return;
		}
		c->state = C_BUSY;
		conn_write(c);
		return;
	case C_BUSY:
		if ((flags & KORE_EVENT_WRITE) && c->x->sent < xfer_total(c->x))
			conn_write(c);
		if (c->gen == gen && c->state == C_BUSY &&
		    ((flags & KORE_EVENT_READ) || err))
			conn_read(c, err);
		return;
	default:
		return; /* a stale event of a closed descriptor */
	}
}

static size_t
xfer_total(const struct gw_h1c_xfer *x)
{
	return x->head_len + x->ep->hostline_len + x->body_len;
}

/* Send what is left of the request: line, Host, fields, body. */
static void
conn_write(struct gw_h1c_conn *c)
{
	struct gw_h1c_xfer *x = c->x;
	struct iovec iov[4], *v = iov;
	struct msghdr msg;
	size_t total = xfer_total(x), skip;
	ssize_t n;
	int i, k;

	while (x->sent < total) {
		iov[0].iov_base = (void *)(uintptr_t)x->head;
		iov[0].iov_len = x->line_len;
		iov[1].iov_base = x->ep->hostline;
		iov[1].iov_len = x->ep->hostline_len;
		iov[2].iov_base = (void *)(uintptr_t)(x->head + x->line_len);
		iov[2].iov_len = x->head_len - x->line_len;
		iov[3].iov_base = (void *)(uintptr_t)x->body;
		iov[3].iov_len = x->body_len;
		for (i = 0, k = 4, skip = x->sent; i < 4 && skip > 0; i++) {
			if (skip < iov[i].iov_len) {
				iov[i].iov_base =
				    (char *)iov[i].iov_base + skip;
				iov[i].iov_len -= skip;
				break;
			}
			skip -= iov[i].iov_len;
		}
		v = iov + i;
		k = 4 - i;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = v;
		msg.msg_iovlen = (size_t)k;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_failed(c, GW_H1C_SEND, "send", errno);
			return;
		}
		x->sent += (size_t)n;
	}
}

/* Read until EAGAIN, the end of the answer or of the connection (hup: the
 * service has already hung up, so the connection is not kept). */
static void
conn_read(struct gw_h1c_conn *c, int hup)
{
	struct gw_h1c_xfer *x = c->x;
	size_t max = x->body_max + GW_H1_HEAD_MAX + GW_H1_CHUNK_LINE_MAX + 64;
	size_t cap, space;
	ssize_t n;
	char *grown;
	int rc;

	for (;;) {
		if (x->len == x->cap) {
			if (x->cap >= max) {
				xfer_end(x, GW_H1C_TOO_BIG, 0);
				return;
			}
			cap = x->cap == 0 ? 16384 : x->cap * 2;
			if (cap > max)
				cap = max;
			if ((grown = realloc(x->buf, cap)) == NULL) {
				xfer_end(x, GW_H1C_NOMEM, 0);
				return;
			}
			x->buf = grown;
			x->cap = cap;
		}
		space = x->cap - x->len;
		n = read(c->fd, x->buf + x->len, space);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_failed(c, GW_H1C_RECV, "read", errno);
			return;
		}
		if (n == 0) {
			if (!x->got) {
				conn_failed(c, GW_H1C_NOTHING, NULL, 0);
				return;
			}
			rc = gw_h1_resp_eof(&x->resp, x->buf, &x->len);
		} else {
			x->got = 1;
			x->len += (size_t)n;
			rc = gw_h1_resp_feed(&x->resp, x->buf, &x->len);
		}
		if (rc == 1) {
			/* a full read may have left bytes in the socket */
			xfer_end(x, GW_H1C_OK,
			         !hup && n > 0 && (size_t)n < space &&
			             x->resp.keep_alive &&
			             x->sent == xfer_total(x));
			return;
		}
		if (rc < 0) {
			xfer_end(x,
			         rc == -EMSGSIZE ? GW_H1C_TOO_BIG
			         : rc == -E2BIG  ? GW_H1C_HEADERS
			         : rc == -EPIPE  ? GW_H1C_PARTIAL
			                         : GW_H1C_MALFORMED,
			         0);
			return;
		}
	}
}

/*
 * The connection failed. A kept connection that dies before the first byte
 * of the answer was closed by the service while idle: the request never
 * reached it, so it goes once more on a new connection.
 */
static void
conn_failed(struct gw_h1c_conn *c, enum gw_h1c_result r, const char *what,
            int error)
{
	struct gw_h1c_xfer *x = c->x;

	if (x->reused && !x->got && !x->retried &&
	    (r == GW_H1C_SEND || r == GW_H1C_RECV || r == GW_H1C_NOTHING)) {
		conn_close(c);
		x->conn = NULL;
		x->retried = 1;
		x->reused = 0;
		x->sent = 0;
		x->len = 0;
		gw_h1_resp_init(&x->resp, x->head_only, x->body_max);
		xfer_go(x);
		return;
	}
	if (what != NULL)
		snprintf(x->err, sizeof(x->err), "%s: %s", what,
		         strerror(error));
	xfer_end(x, r, 0);
}

/* ---- exchanges ---------------------------------------------------------- */

void
gw_h1c_start(struct gw_h1c_xfer *x)
{
	gw_h1c_abort(x);
	x->result = GW_H1C_OK;
	x->reused = x->got = x->retried = 0;
	x->sent = x->len = 0;
	x->err[0] = '\0';
	gw_h1_resp_init(&x->resp, x->head_only, x->body_max);
	x->deadline = kore_time_ms() + (uint64_t)x->timeout_ms;
	TAILQ_INSERT_TAIL(&active, x, active);
	x->in_active = 1;
	xfer_go(x);
}

/* On the newest live kept connection, else on a new one. */
static void
xfer_go(struct gw_h1c_xfer *x)
{
	struct gw_h1c_endpoint *ep = x->ep;
	struct gw_h1c_conn *c;
	uint64_t now = kore_time_ms();

	while (!x->fresh && !x->retried &&
	       (c = TAILQ_FIRST(&ep->idle)) != NULL) {
		if (c->idle_until <= now) {
			conn_close(c);
			continue;
		}
		TAILQ_REMOVE(&ep->idle, c, link);
		TAILQ_REMOVE(&idle_all, c, all);
		idle_count(ep, -1);
		mp_metrics_counter_add(ep->m_reused, 1);
		c->state = C_BUSY;
		c->x = x;
		x->conn = c;
		x->reused = 1;
		conn_write(c);
		return;
	}
	xfer_open(x);
}

int
gw_h1c_endpoint_resolve(struct gw_h1c_endpoint *ep)
{
	struct addrinfo hints, *res = NULL;
	char port[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", ep->port);
	if (getaddrinfo(ep->host, port, &hints, &res) != 0 || res == NULL ||
	    res->ai_addrlen > sizeof(ep->addr)) {
		if (res != NULL)
			freeaddrinfo(res);
		return -1;
	}
	memcpy(&ep->addr, res->ai_addr, res->ai_addrlen);
	ep->alen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void
xfer_open(struct gw_h1c_xfer *x)
{
	struct gw_h1c_endpoint *ep = x->ep;
	struct gw_h1c_conn *c;
	int fd, one = 1;
	int64_t cms;

	if (ep->alen == 0 && gw_h1c_endpoint_resolve(ep) != 0) {
		xfer_end(x, GW_H1C_RESOLVE, 0);
		return;
	}
	fd = socket(ep->addr.ss_family,
	            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(x->err, sizeof(x->err), "socket: %s", strerror(errno));
		xfer_end(x, GW_H1C_CONNECT, 0);
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = conn_get(fd)) == NULL) {
		(void)close(fd);
		xfer_end(x, GW_H1C_NOMEM, 0);
		return;
	}
	c->ep = ep;
	c->x = x;
	c->state = C_CONNECTING;
	x->conn = c;
	x->reused = 0;
	mp_metrics_counter_add(ep->m_opened, 1);
	cms = ep->connect_ms < x->timeout_ms ? ep->connect_ms : x->timeout_ms;
	x->connect_deadline = kore_time_ms() + (uint64_t)cms;
	kore_platform_event_all(fd, c);
	if (connect(fd, (struct sockaddr *)&ep->addr, ep->alen) == 0) {
		c->state = C_BUSY;
		conn_write(c);
		return;
	}
	if (errno == EINPROGRESS)
		return;
	ep->alen = 0;
	conn_failed(c, GW_H1C_CONNECT, "connect", errno);
}

/* The exchange is over: its connection kept (keep) or closed, done run. */
static void
xfer_end(struct gw_h1c_xfer *x, enum gw_h1c_result r, int keep)
{
	struct gw_h1c_conn *c = x->conn;

	if (x->in_active) {
		TAILQ_REMOVE(&active, x, active);
		x->in_active = 0;
	}
	if (c != NULL) {
		x->conn = NULL;
		c->x = NULL;
		if (keep)
			conn_idle(c);
		else
			conn_close(c);
	}
	x->result = r;
	if (r != GW_H1C_OK && x->err[0] == '\0')
		snprintf(x->err, sizeof(x->err), "%s", gw_h1c_strerror(r));
	x->done(x);
}

void
gw_h1c_abort(struct gw_h1c_xfer *x)
{
	if (x == NULL || !x->in_active)
		return;
	TAILQ_REMOVE(&active, x, active);
	x->in_active = 0;
	if (x->conn != NULL) {
		conn_close(x->conn);
		x->conn = NULL;
	}
}

void
gw_h1c_release(struct gw_h1c_xfer *x)
{
	if (x == NULL)
		return;
	gw_h1c_abort(x);
	free(x->buf);
	x->buf = NULL;
	x->len = x->cap = 0;
}

/* Timeouts of exchanges in flight, and idle connections past their time. */
static void
on_tick(void *arg, u_int64_t now_arg)
{
	struct gw_h1c_xfer *x, *next;
	struct gw_h1c_conn *c;
	uint64_t now = kore_time_ms();

	(void)arg;
	(void)now_arg;
	for (x = TAILQ_FIRST(&active); x != NULL; x = next) {
		next = TAILQ_NEXT(x, active);
		if (x->conn != NULL && x->conn->state == C_CONNECTING &&
		    now >= x->connect_deadline) {
			snprintf(x->err, sizeof(x->err),
			         "no connection within %lld ms",
			         (long long)(x->ep->connect_ms < x->timeout_ms
			                         ? x->ep->connect_ms
			                         : x->timeout_ms));
			xfer_end(x, GW_H1C_TIMEOUT, 0);
		} else if (now >= x->deadline) {
			snprintf(x->err, sizeof(x->err),
			         "no complete answer within %lld ms",
			         (long long)x->timeout_ms);
			xfer_end(x, GW_H1C_TIMEOUT, 0);
		}
	}
	while ((c = TAILQ_LAST(&idle_all, gw_h1c_conn_all)) != NULL &&
	       c->idle_until <= now)
		conn_close(c);
}
