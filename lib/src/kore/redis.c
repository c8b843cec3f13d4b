/*
 * hiredis' asynchronous API driven by the worker's Kore event loop.
 *
 * One connection per worker. hiredis tells us when it wants to read or
 * write (ev.addRead/delRead/addWrite/delWrite); we keep a level-triggered
 * epoll registration that mirrors those wishes, so a partial read never
 * strands data the way an edge-triggered registration could.
 *
 * Redis going away must never take a request down with it: commands sent
 * while disconnected fail at once (-ENOTCONN) so callers can degrade
 * (serve uncached, refuse an idempotent write with 503...), and a timer
 * reconnects with exponential back-off, logging one line when the link
 * goes down and one when it is back, with a gauge for dashboards.
 */
#include <sys/epoll.h>
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <kore/kore.h>

#include "mp/log.h"
#include "mp/redisurl.h"
#include "mp/runtime.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct rconn {
	struct kore_event evt; /* first member: Kore casts to it */
	redisAsyncContext *ac;
	int fd;
	int want_read, want_write, registered;
	int connected;
	int stopping;
	int was_up;
	u_int64_t backoff_ms;
	struct mp_redis_addr addr;
};

struct pending {
	void (*cb)(void *, void *);
	void *arg;
};

static struct rconn rc;

static void rc_connect(void);
static void rc_schedule_reconnect(void);
static void rc_reconnect_timer(void *arg, u_int64_t now);
static void rc_update(void);
static void rc_handle(void *obj, int err);
static void ev_add_read(void *p);
static void ev_del_read(void *p);
static void ev_add_write(void *p);
static void ev_del_write(void *p);
static void ev_cleanup(void *p);
static void on_connect(const redisAsyncContext *ac, int status);
static void on_disconnect(const redisAsyncContext *ac, int status);
static void on_reply(redisAsyncContext *ac, void *reply, void *priv);
static void on_setup_reply(redisAsyncContext *ac, void *reply, void *priv);

static void
rc_update(void)
{
	int events = 0;

	if (rc.fd < 0)
		return;
	if (rc.want_read)
		events |= EPOLLIN | EPOLLRDHUP;
	if (rc.want_write)
		events |= EPOLLOUT;
	if (events == 0) {
		if (rc.registered) {
			kore_platform_disable_read(rc.fd); /* EPOLL_CTL_DEL */
			rc.registered = 0;
		}
		return;
	}
	kore_platform_event_schedule(rc.fd, events, 0, &rc);
	rc.registered = 1;
}

static void
ev_add_read(void *p)
{
	(void)p;
	rc.want_read = 1;
	rc_update();
}

static void
ev_del_read(void *p)
{
	(void)p;
	rc.want_read = 0;
	rc_update();
}

static void
ev_add_write(void *p)
{
	(void)p;
	rc.want_write = 1;
	rc_update();
}

static void
ev_del_write(void *p)
{
	(void)p;
	rc.want_write = 0;
	rc_update();
}

/* hiredis is about to close the socket: forget it first. */
static void
ev_cleanup(void *p)
{
	(void)p;
	rc.want_read = rc.want_write = 0;
	rc_update();
	rc.fd = -1;
	rc.ac = NULL;
	rc.connected = 0;
}

static void
rc_handle(void *obj, int err)
{
	struct rconn *c = obj;

	if (c->ac == NULL)
		return;
	if ((c->evt.flags & KORE_EVENT_WRITE) && c->ac != NULL) {
		c->evt.flags &= ~KORE_EVENT_WRITE;
		redisAsyncHandleWrite(c->ac);
	}
	if (((c->evt.flags & KORE_EVENT_READ) || err) && c->ac != NULL) {
		c->evt.flags &= ~KORE_EVENT_READ;
		redisAsyncHandleRead(c->ac);
	}
}

static void
on_setup_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;

	(void)ac;
	(void)priv;
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		mp_log(MP_LOG_ERROR, "redis", "AUTH/SELECT refused");
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	char db[8];
	const char *argv[2];

	(void)ac;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback */
		rc.ac = NULL;
		rc.fd = -1;
		rc.registered = 0;
		rc_schedule_reconnect();
		return;
	}
	rc.connected = 1;
	rc.backoff_ms = BACKOFF_MIN_MS;
	mp_metrics_gauge_set(MP_G_REDIS_UP, 1);
	if (rc.addr.password[0] != '\0') {
		argv[0] = "AUTH";
		argv[1] = rc.addr.password;
		redisAsyncCommandArgv(rc.ac, on_setup_reply, NULL, 2, argv,
		                      NULL);
	}
	if (rc.addr.db != 0) {
		snprintf(db, sizeof(db), "%d", rc.addr.db);
		argv[0] = "SELECT";
		argv[1] = db;
		redisAsyncCommandArgv(rc.ac, on_setup_reply, NULL, 2, argv,
		                      NULL);
	}
	if (!rc.was_up)
		mp_log(MP_LOG_INFO, "redis", "connected to %s:%d", rc.addr.host,
		       rc.addr.port);
	rc.was_up = 1;
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	(void)ac;
	(void)status;
	rc.ac = NULL;
	rc.fd = -1;
	rc.registered = 0;
	rc.connected = 0;
	mp_metrics_gauge_set(MP_G_REDIS_UP, 0);
	if (!rc.stopping)
		rc_schedule_reconnect();
}

static void
rc_reconnect_timer(void *arg, u_int64_t now)
{
	(void)arg;
	(void)now;
	if (!rc.stopping && rc.ac == NULL)
		rc_connect();
}

static void
rc_schedule_reconnect(void)
{
	if (rc.was_up) {
		mp_log(MP_LOG_WARN, "redis",
		       "connection to %s:%d lost; "
		       "retrying with back-off",
		       rc.addr.host, rc.addr.port);
		rc.was_up = 0;
	}
	mp_metrics_gauge_set(MP_G_REDIS_UP, 0);
	mp_metrics_gauge_add(MP_G_REDIS_RECONNECTS, 1);
	kore_timer_add(rc_reconnect_timer, rc.backoff_ms, NULL, 1);
	rc.backoff_ms *= 2;
	if (rc.backoff_ms > BACKOFF_MAX_MS)
		rc.backoff_ms = BACKOFF_MAX_MS;
}

static void
rc_connect(void)
{
	redisAsyncContext *ac;

	ac = redisAsyncConnect(rc.addr.host, rc.addr.port);
	if (ac == NULL) {
		rc_schedule_reconnect();
		return;
	}
	if (ac->err) {
		redisAsyncFree(ac);
		rc_schedule_reconnect();
		return;
	}
	rc.ac = ac;
	rc.fd = ac->c.fd;
	rc.want_read = rc.want_write = rc.registered = 0;
	ac->ev.data = &rc;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* a non-blocking connect completes when the socket turns writable */
	ev_add_write(&rc);
}

int
mp_redis_worker_start(const char *url)
{
	memset(&rc, 0, sizeof(rc));
	rc.fd = -1;
	rc.evt.type = KORE_TYPE_PYSOCKET + 100; /* ours; Kore ignores it */
	rc.evt.handle = rc_handle;
	rc.backoff_ms = BACKOFF_MIN_MS;
	if (mp_redis_url_parse(url, &rc.addr) != 0)
		return -EINVAL;
	rc.was_up = 1; /* so the first failure is logged */
	rc_connect();
	return 0;
}

void
mp_redis_worker_stop(void)
{
	rc.stopping = 1;
	if (rc.ac != NULL)
		redisAsyncDisconnect(rc.ac);
	memset(rc.addr.password, 0, sizeof(rc.addr.password));
}

int
mp_redis_connected(void)
{
	return rc.connected && rc.ac != NULL;
}

static void
on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct pending *p = priv;

	(void)ac;
	p->cb(reply, p->arg);
	free(p);
}

int
mp_redis_command(void (*cb)(void *reply, void *arg), void *arg, int argc,
                 const char **argv, const size_t *argvlen)
{
	struct pending *p;

	if (!mp_redis_connected())
		return -ENOTCONN;
	if ((p = malloc(sizeof(*p))) == NULL)
		return -ENOMEM;
	p->cb = cb;
	p->arg = arg;
	if (redisAsyncCommandArgv(rc.ac, on_reply, p, argc, argv, argvlen) !=
	    REDIS_OK) {
		free(p);
		return -EIO;
	}
	return 0;
}
