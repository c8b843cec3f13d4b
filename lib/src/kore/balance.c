/*
 * Even spread of client connections over the worker processes.
 *
 * Kore's workers share one listening socket and take turns through an
 * accept lock: the holder accepts every connection that arrives until it
 * is "busy" (worker_max_connections or http_request_limit reached) or has
 * accepted worker_accept_threshold in one go. Connections that arrive one
 * by one therefore all land in the lock holder: under keep-alive one
 * worker served every connection while the other idled, with its own
 * database pool unused and every request queued behind half the pool.
 *
 * The listener's connect callback counts each worker's open connections in
 * the shared metrics segment. A worker holding more than its share (the
 * average plus one) lowers its own worker_max_connections to what it has:
 * Kore then stops its accept loop and will not take the lock back, so the
 * next connections go to the others. The cap is lifted as soon as the
 * worker is back within its share (re-checked on every accept, every
 * disconnect and every 50 ms, since the others' counts change without
 * telling us). Connections are never refused or moved.
 *
 * The lock itself goes from worker to worker through Kore's parent, a
 * message and a wake-up of two processes each time: when a burst of
 * connections arrives (a client opening its pool), the workers capped
 * each other every few connections and the rest waited in the backlog for
 * each hand-over, 300 ms for 64 connections on a busy machine, which made
 * the p99 of a 5-second run 50-130 ms against Kore's own 4-6 ms. So each
 * worker also watches the listening socket itself, on a duplicate of its
 * descriptor (Kore adds and removes the original as the lock moves),
 * whenever it is within its share, and accepts with Kore's own accept
 * loop: a new connection goes to whichever worker under its share wakes
 * first, without a hand-over (the other's accept finds nothing; with two
 * to a few workers that costs less than the hand-over did).
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "mp/log.h"
#include "mp/runtime.h"
#include "mp/service.h"

void mp_http_connect(struct connection *c);

static void conn_gone(struct connection *c);
static void balance_tick(void *arg, u_int64_t now);

static u_int32_t max_configured;
static int64_t mine;

/* A duplicate of one of Kore's listening descriptors, which this worker
 * watches whatever Kore's lock does. */
#define WATCH_MAX 4
struct watch {
	struct kore_event evt; /* first: Kore's loop calls evt.handle */
	struct listener *l;
	int fd;
};
static struct watch watches[WATCH_MAX];
static int nwatches;

static void watch_accept(void *arg, int error);

/* One eventfd per worker slot, opened by the parent: a worker that stops
 * accepting wakes the stopped others to look at their share again (their
 * caps are as old as their last look; without this, connections already
 * queued waited for their 50 ms timer). */
#define SLOTS MP_METRICS_WORKER_SLOTS
static int wake_fd[SLOTS];
static int wake_n; /* opened */
static struct kore_event wake_evt;
static int capped;

static void wake_read(void *arg, int error);
static void wake_others(void);

/* Cap or uncap this worker's accepting from the shared counts. */
static void
balance_eval(void)
{
	int64_t total;
	int n, over;

	(void)mp_metrics_worker_conns(&n, &total);
	/* draining: no cap, its own requests may need a connection
	 * (app.c, drain_tick) */
	over = n > 1 && mine > 0 && mine * n > total + n && !mp_draining();
	worker_max_connections = over ? (u_int32_t)mine : max_configured;
	if (over != capped) {
		capped = over;
		mp_metrics_worker_capped_set(over);
		if (over)
			wake_others();
	}
}

/* This worker just stopped accepting: the others that stopped may now be
 * under their share, and connections may be queued with no edge to come. */
static void
wake_others(void)
{
	uint64_t mask = mp_metrics_workers_capped(), one = 1;
	int s;

	for (s = 0; s < wake_n && mask != 0; s++)
		if ((mask >> s) & 1u && wake_fd[s] >= 0)
			(void)write(wake_fd[s], &one, sizeof(one));
}

/* Another worker woke this one: look at the share again, and accept what
 * is queued if it may. */
static void
wake_read(void *arg, int error)
{
	uint64_t v;
	int i;

	(void)arg;
	(void)error;
	(void)read(wake_fd[mp_metrics_worker_slot()], &v, sizeof(v));
	balance_eval();
	for (i = 0; i < nwatches && !capped; i++)
		watch_accept(&watches[i], 0);
}

int
mp_balance_parent_init(void)
{
	int s;

	wake_n = 0;
	for (s = 0; s < SLOTS; s++) {
		wake_fd[s] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (wake_fd[s] < 0)
			return -1;
		wake_n++;
	}
	return 0;
}

/* The listening socket has a new connection. Edge-triggered: each arrival
 * wakes every worker, capped or not, which looks at its share again.
 * Kore's accept loop takes up to worker_accept_threshold at a time; go on
 * until the queue is empty or this worker is over its share, since no
 * edge comes again for connections already queued. */
static void
watch_accept(void *arg, int error)
{
	struct watch *w = arg;
	u_int32_t before;

	if (error) {
		mp_log(MP_LOG_ERROR, "balance",
		       "error on a listening socket; no longer watched here");
		kore_platform_disable_read(w->fd);
		return;
	}
	do {
		balance_eval();
		before = worker_active_connections;
		w->l->evt.flags |= KORE_EVENT_READ;
		kore_listener_accept(w->l, 0);
	} while (worker_accept_threshold != 0 &&
	         worker_active_connections - before >= worker_accept_threshold);
}

/* One watch per listening socket (Kore's parent opened them). */
static void
watch_start(void)
{
	struct kore_server *srv;
	struct listener *l;
	int fd;

	nwatches = 0;
	if (worker_count <= 1)
		return; /* the only worker always listens */
	LIST_FOREACH(srv, &kore_servers, list)
	{
		LIST_FOREACH(l, &srv->listeners, list)
		{
			if (nwatches == WATCH_MAX)
				return;
			if ((fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
				mp_log(MP_LOG_ERROR, "balance",
				       "dup of a listening socket: %s",
				       strerror(errno));
				continue;
			}
			memset(&watches[nwatches], 0, sizeof(watches[0]));
			watches[nwatches].evt.type = KORE_TYPE_LISTENER;
			watches[nwatches].evt.handle = watch_accept;
			watches[nwatches].l = l;
			watches[nwatches].fd = fd;
			kore_platform_event_schedule(fd, EPOLLIN | EPOLLET, 0,
			                             &watches[nwatches]);
			nwatches++;
		}
	}
}

static void
balance_tick(void *arg, u_int64_t now)
{
	(void)arg;
	(void)now;
	balance_eval();
}

void
mp_balance_worker_start(void)
{
	max_configured = worker_max_connections;
	mine = 0;
	mp_metrics_worker_started();
	/* a worker Kore restarts in this slot starts accepting: clear what
	 * the one before it may have left in the shared segment */
	capped = 0;
	mp_metrics_worker_capped_set(0);
	watch_start();
	if (wake_n > 0 && wake_fd[mp_metrics_worker_slot()] >= 0) {
		wake_evt.type = KORE_TYPE_LISTENER;
		wake_evt.handle = wake_read;
		kore_platform_event_schedule(wake_fd[mp_metrics_worker_slot()],
		                             EPOLLIN | EPOLLET, 0, &wake_evt);
	}
	balance_eval();
	kore_timer_add(balance_tick, 50, NULL, 0);
}

static void
conn_gone(struct connection *c)
{
	(void)c;
	mine--;
	mp_metrics_worker_conns_add(-1);
	balance_eval();
}

/* Kore's connect callback of the main listener: the HTTP set-up Kore does
 * for a listener without one (kore_connection_accept), plus the count. */
void
mp_http_connect(struct connection *c)
{
	c->proto = CONN_PROTO_HTTP;
	if (http_keepalive_time != 0)
		c->idle_timer.length = http_keepalive_time * 1000;
	net_recv_queue(c, http_header_max, NETBUF_CALL_CB_ALWAYS,
	               http_header_recv);
	c->disconnect = conn_gone;
	mp_netio_connection(c);
	mine++;
	mp_metrics_worker_conns_add(1);
	balance_eval();
}
