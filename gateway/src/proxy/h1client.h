/*
 * h1client.h: the gateway's native HTTP/1.1 client for http:// upstreams, on
 * the worker's Kore event loop (https:// upstreams stay with libcurl in
 * proxy.c). One exchange at a time per connection, no pipelining.
 *
 * Each worker keeps, per endpoint (one replica's base URL), a pool of idle
 * kept connections: at most GW_H1C_IDLE_MAX, each closed after
 * GW_H1C_IDLE_MS unused (below the services' own keep-alive limits), when
 * the service closes it or sends bytes nobody asked for, and after any
 * exchange that leaves it in doubt. The newest idle connection is used
 * first. New connections are non-blocking, with TCP_NODELAY; the request is
 * sent with one sendmsg (request line, Host, fields, body); the answer is
 * read into one buffer grown by doubling, parsed by h1.c.
 *
 * A kept connection that ends (EOF, reset) before the first byte of the
 * answer is the service having closed it while idle, racing our request,
 * which it never read: the exchange is repeated once on a new connection,
 * whatever the method (RFC 9112 9.3.1 allows it for a request the server
 * cannot have acted on).
 *
 * Timeouts: the whole exchange within timeout_ms, the connection within
 * min(GW_H1C_CONNECT_MS, timeout_ms); checked by one worker-wide timer every
 * GW_H1C_TICK_MS.
 */
#ifndef GW_PROXY_H1CLIENT_H
#define GW_PROXY_H1CLIENT_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "proxy/h1.h"
#include "proxy/upstream_conf.h"

#define GW_H1C_IDLE_MAX 256
#define GW_H1C_IDLE_MS 5000
#define GW_H1C_TICK_MS 25

struct gw_h1c_conn;

/* One base URL: where to connect, what to say in Host, the idle pool. */
struct gw_h1c_endpoint {
	char host[GW_BASE_MAX];
	char hostline[GW_BASE_MAX + 16]; /* "Host: <authority>\r\n" */
	size_t hostline_len;
	unsigned port;
	int64_t connect_ms;
	struct sockaddr_storage addr; /* resolved on first use, per worker */
	socklen_t alen;
	TAILQ_HEAD(, gw_h1c_conn) idle; /* newest first */
	int nidle;
	/* metric ids (mp_metrics_counter_new), -1 for none: connections
	 * opened, exchanges on a kept connection, idle kept connections */
	int m_opened, m_reused, m_idle;
};

/* Why an exchange brought no answer. */
enum gw_h1c_result {
	GW_H1C_OK = 0,
	GW_H1C_RESOLVE,   /* the host name did not resolve */
	GW_H1C_CONNECT,   /* refused, unreachable */
	GW_H1C_SEND,      /* the connection failed while sending */
	GW_H1C_NOTHING,   /* closed without a byte of answer */
	GW_H1C_RECV,      /* failed while reading */
	GW_H1C_PARTIAL,   /* closed in the middle of the answer */
	GW_H1C_TIMEOUT,   /* no complete answer in time (or no connection) */
	GW_H1C_MALFORMED, /* not HTTP/1.x as h1.h accepts it */
	GW_H1C_TOO_BIG,   /* body over body_max */
	GW_H1C_HEADERS,   /* too many or too long fields */
	GW_H1C_NOMEM
};

struct gw_h1c_xfer {
	/* set by the caller before gw_h1c_start */
	struct gw_h1c_endpoint *ep;
	const char *head; /* request line, then fields and the empty line */
	size_t line_len;  /* the request line's bytes (Host goes after) */
	size_t head_len;
	const char *body; /* may be NULL when body_len is 0 */
	size_t body_len;
	int head_only; /* HEAD: the answer has no body */
	int fresh;     /* never use a kept connection */
	size_t body_max;
	int64_t timeout_ms;
	void (*done)(struct gw_h1c_xfer *x); /* once per gw_h1c_start */
	/* results, when done runs */
	enum gw_h1c_result result;
	int reused;             /* the answer came on a kept connection */
	struct gw_h1_resp resp; /* status, fields, body: in buf */
	char *buf;              /* owned; gw_h1c_release frees it */
	size_t len, cap;
	char err[128]; /* why, for the log (no request data) */
	/* private */
	struct gw_h1c_conn *conn;
	size_t sent;
	int got;     /* a byte of the answer arrived */
	int retried; /* a dead kept connection was replaced once */
	uint64_t deadline, connect_deadline;
	TAILQ_ENTRY(gw_h1c_xfer) active;
	int in_active;
};

/* gw_h1c_endpoint_init: ep for an http:// base URL (proxy.h), connecting
 * within connect_ms. 0 or -EINVAL (not http://, bad host or port). */
int gw_h1c_endpoint_init(struct gw_h1c_endpoint *ep, const char *base,
                         int64_t connect_ms);

/*
 * gw_h1c_endpoint_resolve: look ep's host up now (getaddrinfo, blocking:
 * for the parent at start-up, so that every worker it forks starts with
 * the address instead of resolving it on its event loop at its first
 * call). 0, or -1 when the name does not resolve yet: not fatal, the
 * worker resolves it at first use. A worker also resolves again after a
 * failed connect, which the breaker bounds to a few per open period.
 */
int gw_h1c_endpoint_resolve(struct gw_h1c_endpoint *ep);

/* gw_h1c_worker_init: the worker's timer. 0 or -1. */
int gw_h1c_worker_init(void);

/*
 * gw_h1c_start: begin the exchange x describes. x->done runs exactly once
 * when it ends, possibly before gw_h1c_start returns (a connection refused
 * at once); x must stay where it is until then or until gw_h1c_abort. The
 * results of an earlier exchange on x are reset (the buffer is kept).
 */
void gw_h1c_start(struct gw_h1c_xfer *x);

/* gw_h1c_abort: end x's exchange without calling done (its connection is
 * closed: the answer is unread). NULL-safe; nothing when x is not running. */
void gw_h1c_abort(struct gw_h1c_xfer *x);

/* gw_h1c_release: abort, then free x's buffer. */
void gw_h1c_release(struct gw_h1c_xfer *x);

/* A short text for a result ("connection refused", ...). */
const char *gw_h1c_strerror(enum gw_h1c_result r);

#endif /* GW_PROXY_H1CLIENT_H */
