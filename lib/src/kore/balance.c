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
 * Kore then stops its accept loop, hands the lock over and will not take
 * it back, so the next connections go to the others. The cap is lifted as
 * soon as the worker is back within its share (re-checked on every accept,
 * every disconnect and every 50 ms, since the others' counts change
 * without telling us). Connections are never refused or moved: at worst a
 * new one waits in the backlog until a worker under its share runs its
 * loop.
 */
#include <sys/types.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "mp/runtime.h"
#include "mp/service.h"

void mp_http_connect(struct connection *c);

static void conn_gone(struct connection *c);
static void balance_tick(void *arg, u_int64_t now);

static u_int32_t max_configured;
static int64_t mine;

/* Cap or uncap this worker's accepting from the shared counts. */
static void
balance_eval(void)
{
	int64_t total;
	int n;

	(void)mp_metrics_worker_conns(&n, &total);
	/* draining: no cap, its own requests may need a connection
	 * (app.c, drain_tick) */
	if (n > 1 && mine > 0 && mine * n > total + n && !mp_draining())
		worker_max_connections = (u_int32_t)mine;
	else
		worker_max_connections = max_configured;
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
