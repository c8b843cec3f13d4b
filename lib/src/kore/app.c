/*
 * The process life of a service on Kore: configuration, start-up,
 * the single HTTP entry point, routing, authentication, graceful drain.
 *
 * Kore calls kore_parent_configure() once in the parent before forking the
 * workers: everything read from the environment and every check that must
 * stop start-up (bad variable, failed migration) happens there, with one
 * clear line on stderr. Workers then only attach to their event loop.
 *
 * Routing is ours, not Kore's: Kore sends every request to mp_http_entry
 * and the service's table decides. That gives one place for 404/405
 * problem answers, path parameters, request ids, token checks and metrics
 * labelled by route pattern (never by raw path, which would leak ids).
 *
 * Graceful shutdown: Kore's worker quits on the first SIGTERM and drops
 * what is in flight. We take SIGTERM/SIGINT ourselves: the worker stops
 * being ready, answers new requests 503 with Connection: close, lets the
 * requests in flight finish (or the grace period end), then hands the
 * signal to Kore, whose teardown hook stops the relay after a last flush.
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>
#include <kore/seccomp.h>

#include "mp/config.h"
#include "mp/jwt.h"
#include "mp/log.h"
#include "mp/migrate.h"
#include "mp/problem.h"
#include "mp/revocation.h"
#include "mp/runtime.h"
#include "mp/service.h"
#include "mp/util.h"

/* The text of a numeric macro, for configuration defaults. */
#define STR_(x) #x
#define STR(x) STR_(x)

int mp_http_entry(struct http_request *);
void kore_parent_configure(int, char **);
void kore_worker_configure(void);
void kore_worker_teardown(void);

static int settings_load(void);
static void settings_apply(void);
static int route_match(const char *path, const char *pattern, int prefix,
                       struct mp_ctx *ctx);
static int dispatch_first(struct http_request *req);
static int authenticate(struct mp_ctx *ctx);
static void ops_listener_add(void);
static size_t header_block_len(const struct http_request *req);
static void ctx_free(struct http_request *req);
static void request_id_assign(struct mp_ctx *ctx);
static void drain_signal(int sig);
static void drain_tick(void *arg, u_int64_t now);
static const char *env_get(const char *name);

struct mp_settings mp_settings;
struct mp_jwt_keyset *mp_keyset;
/* This worker's verified tokens (jwt_cache.c): a token presented again is
 * not verified again until its exp. */
#define JWT_CACHE_SLOTS 1024
static struct mp_jwt_cache *jwt_cache;
struct mp_jwt_policy mp_jwt_policy;

static volatile sig_atomic_t draining;
static uint64_t drain_deadline_ms;
/* Kore's own handlers of the signals drain_signal takes over, put back at
 * teardown: Kore unloads this module after the teardown hook, and a
 * handler left pointing into it would turn a late SIGTERM (a second kill,
 * a whole process group signalled) into a SIGSEGV in Kore's cleanup. */
static struct sigaction kore_sigterm, kore_sigint;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* What the sanitizer runtimes call in a worker (thread start-up, reports,
 * symbolising a stack): only in the instrumented build (make SANITIZE=...),
 * never in production binaries. */
#define MP_SANITIZER_SYSCALLS                                                  \
	, KORE_SYSCALL_ALLOW(sched_getaffinity),                               \
	    KORE_SYSCALL_ALLOW(sigaltstack), KORE_SYSCALL_ALLOW(readlink),     \
	    KORE_SYSCALL_ALLOW(readlinkat), KORE_SYSCALL_ALLOW(madvise),       \
	    KORE_SYSCALL_ALLOW(prctl), KORE_SYSCALL_ALLOW(getppid),            \
	    KORE_SYSCALL_ALLOW(pipe), KORE_SYSCALL_ALLOW(wait4),               \
	    KORE_SYSCALL_ALLOW(execve), KORE_SYSCALL_ALLOW(dup2),              \
	    KORE_SYSCALL_ALLOW(ptrace)
#else
#define MP_SANITIZER_SYSCALLS
#endif

/* Threads (relay, consumers) and libpq/hiredis in blocking mode need more
 * than Kore's default worker filter. */
KORE_SECCOMP_FILTER(
    "mp", KORE_SYSCALL_ALLOW(clone), KORE_SYSCALL_ALLOW(clone3),
    KORE_SYSCALL_ALLOW(set_robust_list), KORE_SYSCALL_ALLOW(rseq),
    KORE_SYSCALL_ALLOW(socket), KORE_SYSCALL_ALLOW(connect),
    KORE_SYSCALL_ALLOW(getsockopt), KORE_SYSCALL_ALLOW(getsockname),
    KORE_SYSCALL_ALLOW(getpeername), KORE_SYSCALL_ALLOW(recvmsg),
    KORE_SYSCALL_ALLOW(sendmsg), KORE_SYSCALL_ALLOW(uname),
    KORE_SYSCALL_ALLOW(gettid), KORE_SYSCALL_ALLOW(tgkill),
    KORE_SYSCALL_ALLOW(sched_yield), KORE_SYSCALL_ALLOW(newfstatat),
    KORE_SYSCALL_ALLOW(ioctl), KORE_SYSCALL_ALLOW(shutdown),
    KORE_SYSCALL_ALLOW(pipe2), KORE_SYSCALL_ALLOW(eventfd2),
    KORE_SYSCALL_ALLOW(getrusage), KORE_SYSCALL_ALLOW(select),
    KORE_SYSCALL_ALLOW(pselect6), KORE_SYSCALL_ALLOW(prlimit64),
    KORE_SYSCALL_ALLOW(sysinfo), KORE_SYSCALL_ALLOW(getdents64),
    KORE_SYSCALL_ALLOW(mremap), /* realloc of large bodies and results */
    /* the kernel's own restart of a sleep that a signal interrupted (the
     * event threads sleep between polls): without it the thread is killed */
    KORE_SYSCALL_ALLOW(restart_syscall) MP_SANITIZER_SYSCALLS);

const char *
mp_service_name(void)
{
	return mp_service_def.name;
}

int
mp_draining(void)
{
	return draining != 0;
}

static const char *
env_get(const char *name)
{
	return getenv(name);
}

static int
settings_load(void)
{
	static const char *const levels[] = {"debug", "info", "warn", "error",
	                                     NULL};
	char def_mig[256], err[512];
	int need_jwt = 0;
	size_t i;

	for (i = 0; i < mp_service_def.nroutes; i++) {
		if (!(mp_service_def.routes[i].flags &
		      (MP_ROUTE_PUBLIC | MP_ROUTE_INTERNAL)))
			need_jwt = 1;
	}
	snprintf(def_mig, sizeof(def_mig), "services/%s/migrations",
	         mp_service_def.name);

	const struct mp_cfg_var vars[] = {
	    {"MP_HTTP_HOST", MP_CFG_STRING, 0, "127.0.0.1", 0, 0, NULL,
	     mp_settings.http_host, sizeof(mp_settings.http_host),
	     "address to listen on"},
	    {"MP_HTTP_PORT", MP_CFG_INT, 1, NULL, 1, 65535, NULL,
	     &mp_settings.http_port_num, 0, "TCP port to listen on"},
	    {"MP_OPS_PORT", MP_CFG_INT, 0, "0", 0, 65535, NULL,
	     &mp_settings.ops_port_num, 0,
	     "TCP port of the ops listener (/metrics, /_routes); 0: none"},
	    {"MP_OPS_HOST", MP_CFG_STRING, 0, "", 0, 0, NULL,
	     mp_settings.ops_host, sizeof(mp_settings.ops_host),
	     "address of the ops listener (default MP_HTTP_HOST)"},
	    {"MP_HEADER_MAX", MP_CFG_INT, 0, "8192", 1024, 65535, NULL,
	     &mp_settings.header_block_max, 0,
	     "largest request header block in bytes (431 above)"},
	    {"MP_WORKERS", MP_CFG_INT, 0, "2", 1, 64, NULL,
	     &mp_settings.workers, 0, "number of worker processes"},
	    {"MP_LOG_LEVEL", MP_CFG_ENUM, 0, "info", 0, 0, levels,
	     mp_settings.log_level, sizeof(mp_settings.log_level),
	     "debug, info, warn or error"},
	    {"MP_DB_URL", MP_CFG_URL, mp_service_def.uses_db, "", 0, 0, NULL,
	     mp_settings.db_url, sizeof(mp_settings.db_url),
	     "PostgreSQL connection URL"},
	    {"MP_DB_POOL", MP_CFG_INT, 0, "16", 1, 1000, NULL,
	     &mp_settings.db_pool, 0, "PostgreSQL connections per worker"},
	    {"MP_DB_POOL_WARM", MP_CFG_INT, 0, "4", 0, 1000, NULL,
	     &mp_settings.db_pool_warm, 0,
	     "PostgreSQL connections each worker opens before serving "
	     "(at most MP_DB_POOL)"},
	    {"MP_REDIS_URL", MP_CFG_URL, mp_service_def.uses_redis, "", 0, 0,
	     NULL, mp_settings.redis_url, sizeof(mp_settings.redis_url),
	     "Redis URL redis://host:port"},
	    {"MP_JWT_KEYS", MP_CFG_STRING, need_jwt, "", 0, 0, NULL,
	     mp_settings.jwt_keys, sizeof(mp_settings.jwt_keys),
	     "token verification keys kid:ALG:/path.pem,..."},
	    {"MP_JWT_ISSUER", MP_CFG_STRING, need_jwt, "", 0, 0, NULL,
	     mp_settings.jwt_issuer, sizeof(mp_settings.jwt_issuer),
	     "expected token issuer"},
	    {"MP_JWT_AUDIENCE", MP_CFG_STRING, need_jwt, "", 0, 0, NULL,
	     mp_settings.jwt_audience, sizeof(mp_settings.jwt_audience),
	     "expected token audience"},
	    {"MP_JWT_MAX_LIFETIME_S", MP_CFG_INT, 0,
	     STR(MP_JWT_DEFAULT_MAX_LIFETIME_S), 60, 604800, NULL,
	     &mp_settings.jwt_max_lifetime_s, 0,
	     "longest token lifetime (exp - iat) accepted, in seconds"},
	    {"MP_MIGRATIONS_DIR", MP_CFG_STRING, 0, def_mig, 0, 0, NULL,
	     mp_settings.migrations_dir, sizeof(mp_settings.migrations_dir),
	     "directory of numbered .sql migrations"},
	    {"MP_BODY_MAX", MP_CFG_INT, 0, "1048576", 1024, 64 << 20, NULL,
	     &mp_settings.body_max, 0, "largest request body in bytes"},
	    {"MP_SHUTDOWN_GRACE_MS", MP_CFG_DURATION_MS, 0, "10000", 0, 600000,
	     NULL, &mp_settings.shutdown_grace_ms, 0,
	     "time given to requests in flight on SIGTERM"},
	    {"MP_OUTBOX_SWEEP_MS", MP_CFG_DURATION_MS, 0, "1000", 10, 600000,
	     NULL, &mp_settings.sweep_ms, 0, "period of the outbox sweep"},
	    {"MP_CONSUMER_CLAIM_IDLE_MS", MP_CFG_DURATION_MS, 0, "30000", 10,
	     3600000, NULL, &mp_settings.claim_idle_ms, 0,
	     "idle time after which a pending event is claimed"},
	    {"MP_CONSUMER_MAX_DELIVERIES", MP_CFG_INT, 0, "5", 1, 1000, NULL,
	     &mp_settings.max_deliveries, 0,
	     "deliveries before an event goes to the dead-letter stream"},
	    {"MP_INSTANCE", MP_CFG_STRING, 0, "", 0, 0, NULL,
	     mp_settings.instance, sizeof(mp_settings.instance),
	     "name of this replica (default: host name)"},
	};

	if (mp_config_load(vars, sizeof(vars) / sizeof(vars[0]), env_get, err,
	                   sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -EINVAL;
	}
	snprintf(mp_settings.http_port, sizeof(mp_settings.http_port), "%d",
	         (int)mp_settings.http_port_num);
	snprintf(mp_settings.ops_port, sizeof(mp_settings.ops_port), "%d",
	         (int)mp_settings.ops_port_num);
	if (mp_settings.ops_host[0] == '\0')
		snprintf(mp_settings.ops_host, sizeof(mp_settings.ops_host),
		         "%s", mp_settings.http_host);
	if (mp_settings.ops_port_num > 0 &&
	    mp_settings.ops_port_num == mp_settings.http_port_num &&
	    strcmp(mp_settings.ops_host, mp_settings.http_host) == 0) {
		fprintf(stderr, "config: MP_OPS_PORT must differ from "
		                "MP_HTTP_PORT\n");
		return -EINVAL;
	}
	if (mp_settings.instance[0] == '\0' &&
	    gethostname(mp_settings.instance,
	                sizeof(mp_settings.instance) - 1) != 0)
		snprintf(mp_settings.instance, sizeof(mp_settings.instance),
		         "%s", mp_service_def.name);
	if (mp_settings.jwt_keys[0] != '\0') {
		if (mp_jwt_keyset_new(&mp_keyset) != 0 ||
		    mp_jwt_keyset_load_spec(mp_keyset, mp_settings.jwt_keys,
		                            err, sizeof(err)) != 0) {
			fprintf(stderr, "config: MP_JWT_KEYS: %s\n", err);
			return -EINVAL;
		}
		mp_jwt_policy.issuer = mp_settings.jwt_issuer;
		mp_jwt_policy.audience = mp_settings.jwt_audience;
		mp_jwt_policy.leeway_s = 30;
		mp_jwt_policy.max_token_bytes = 8192;
		mp_jwt_policy.max_lifetime_s = mp_settings.jwt_max_lifetime_s;
	}
	return 0;
}

/* The ops listener: a second Kore server ("ops") on MP_OPS_PORT whose one
 * domain sends everything to mp_http_entry, like the configuration's. */
static void
ops_listener_add(void)
{
	struct kore_server *srv;
	struct kore_domain *dom;

	if (mp_settings.ops_port_num == 0)
		return;
	srv = kore_server_create("ops");
	srv->tls = 0;
	if (!kore_server_bind(srv, mp_settings.ops_host, mp_settings.ops_port,
	                      NULL)) {
		fprintf(stderr,
		        "config: cannot listen on %s:%s (MP_OPS_PORT)\n",
		        mp_settings.ops_host, mp_settings.ops_port);
		exit(1);
	}
	kore_server_finalize(srv);
	dom = kore_domain_new("*");
	if (!kore_domain_attach(dom, srv) ||
	    !kore_module_handler_new(dom, "^/.*$", "mp_http_entry", NULL,
	                             HANDLER_TYPE_DYNAMIC)) {
		fprintf(stderr, "config: cannot route the ops listener\n");
		exit(1);
	}
}

int
mp_request_on_ops(const struct mp_ctx *ctx)
{
	const struct listener *l;

	if (mp_settings.ops_port_num == 0 || ctx->req->owner == NULL ||
	    (l = ctx->req->owner->owner) == NULL || l->server == NULL)
		return 0;
	return strcmp(l->server->name, "ops") == 0;
}

/* Bytes of the request's header block as the client sent it (request
 * line, fields, CRLFs), give or take the spaces Kore trimmed. */
static size_t
header_block_len(const struct http_request *req)
{
	const struct http_header *h;
	size_t n;

	n = strlen(http_method_text(req->method)) + 1 + strlen(req->path) +
	    (req->query_string != NULL ? 1 + strlen(req->query_string) : 0) +
	    sizeof(" HTTP/1.1\r\n") - 1 + 2;
	TAILQ_FOREACH(h, &req->req_headers, list)
	n += strlen(h->header) + 2 + strlen(h->value) + 2;
	return n;
}

static void
settings_apply(void)
{
	struct kore_server *srv;

	srv = kore_server_lookup("main");
	if (srv == NULL) {
		srv = kore_server_create("main");
		srv->tls = 0;
	}
	/* mp_http_connect (balance.c) spreads connections over workers */
	if (!kore_server_bind(srv, mp_settings.http_host, mp_settings.http_port,
	                      "mp_http_connect")) {
		fprintf(stderr, "config: cannot listen on %s:%s\n",
		        mp_settings.http_host, mp_settings.http_port);
		exit(1);
	}
	kore_server_finalize(srv);
	ops_listener_add();
	worker_count = (u_int8_t)mp_settings.workers;
	/* Kore pins worker N to CPU N by default. On a host shared with
	 * PostgreSQL (and anything else) a pinned worker waits for its busy
	 * core while another idles: its clients got a third of the other
	 * worker's throughput and all of the tail. The scheduler places them.
	 */
	worker_set_affinity = 0;
	/* Kore's own limit is the backstop; ours (problem+json 413) is lower.
	 */
	http_body_max = (size_t)mp_settings.body_max * 4;
	pgsql_conn_max = (u_int16_t)mp_settings.db_pool;
	pgsql_queue_limit = 100000;
	/* the token reply.c writes too: one source */
	http_server_version(MP_HTTP_SERVER);
}

void
kore_parent_configure(int argc, char **argv)
{
	const struct mp_extension *const *ext;
	enum mp_log_level lvl = MP_LOG_INFO;
	char err[512];

	(void)argc;
	(void)argv;
	if (settings_load() != 0)
		exit(1);
	(void)mp_log_level_parse(mp_settings.log_level, &lvl);
	mp_log_init(mp_service_def.name, lvl, stdout);
	settings_apply();

	if (mp_service_def.uses_db) {
		if (mp_migrate_run(mp_settings.db_url,
		                   mp_settings.migrations_dir, err,
		                   sizeof(err)) != 0) {
			fprintf(stderr, "migrate: %s\n", err);
			exit(1);
		}
		if (!kore_pgsql_register("db", mp_settings.db_url)) {
			fprintf(stderr, "config: cannot register database\n");
			exit(1);
		}
	}
	if (mp_balance_parent_init() != 0) {
		fprintf(stderr, "balance: cannot open the workers' wake-ups\n");
		exit(1);
	}
	if (mp_metrics_init(mp_service_def.nroutes) != 0) {
		fprintf(stderr, "metrics: cannot map shared memory\n");
		exit(1);
	}
	if (mp_service_def.revocation &&
	    (!mp_service_def.uses_db || !mp_service_def.uses_redis)) {
		fprintf(stderr, "%s: revocation needs a database and Redis\n",
		        mp_service_def.name);
		exit(1);
	}
	if (mp_service_def.parent_init != NULL &&
	    mp_service_def.parent_init() != 0) {
		fprintf(stderr, "%s: initialisation failed\n",
		        mp_service_def.name);
		exit(1);
	}
	for (ext = mp_service_def.extensions; ext != NULL && *ext != NULL;
	     ext++) {
		if ((*ext)->parent_init != NULL && (*ext)->parent_init() != 0) {
			fprintf(stderr, "%s: %s: initialisation failed\n",
			        mp_service_def.name, (*ext)->name);
			exit(1);
		}
	}
	/* after the service's parent_init, which may complete its consumer
	 * list (the gateway derives one per upstream from MP_UPSTREAMS) */
	if (mp_events_parent_init() != 0) {
		fprintf(stderr, "metrics: no room for the consumer gauges\n");
		exit(1);
	}
	mp_log(MP_LOG_INFO, "start", "listening on %s:%s with %d workers",
	       mp_settings.http_host, mp_settings.http_port,
	       (int)mp_settings.workers);
}

static void
drain_signal(int sig)
{
	(void)sig;
	if (!draining) {
		draining = 1;
		drain_deadline_ms = 0;
	}
}

/* Runs every 50 ms: once draining and idle (or past the grace period),
 * hand Kore the signal it would have seen. Until then a worker with
 * requests in flight listens whether or not it holds Kore's accept lock:
 * the lock goes from worker to worker through Kore's parent, which stops
 * relaying at the SIGTERM, and a request of its own in flight may need a
 * connection accepted (the gateway's GraphQL reads, drain_exempt); the
 * others it accepts meet the 503 shutting-down. */
static void
drain_tick(void *arg, u_int64_t now)
{
	(void)arg;
	if (!draining)
		return;
	if (drain_deadline_ms == 0) {
		drain_deadline_ms =
		    now + (u_int64_t)mp_settings.shutdown_grace_ms;
		mp_log(MP_LOG_INFO, "shutdown", "draining %u requests",
		       (unsigned)http_request_count);
	}
	if (http_request_count == 0 || now >= drain_deadline_ms)
		sig_recv = SIGQUIT;
	else if (mp_service_def.drain_exempt != NULL && worker != NULL &&
	         !worker->has_lock)
		kore_platform_enable_accept();
}

void
kore_worker_configure(void)
{
	const struct mp_extension *const *ext;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = drain_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, &kore_sigterm);
	(void)sigaction(SIGINT, &sa, &kore_sigint);
	kore_timer_add(drain_tick, 50, NULL, 0);
	mp_netio_worker_start();
	mp_balance_worker_start();
	mp_phases_worker_start();

	if (mp_service_def.uses_redis &&
	    mp_redis_worker_start(mp_settings.redis_url) != 0)
		mp_log(MP_LOG_ERROR, "redis", "cannot start the client");
	if (mp_service_def.uses_db)
		mp_db_worker_warm();
	if (mp_events_worker_start() != 0)
		mp_log(MP_LOG_ERROR, "events", "cannot start relay/consumers");
	if (mp_keyset != NULL &&
	    mp_jwt_cache_new(JWT_CACHE_SLOTS, &jwt_cache) != 0)
		mp_log(MP_LOG_WARN, "auth",
		       "no token cache: every token is verified each time");
	if (mp_service_def.revocation &&
	    mp_revocation_start(mp_settings.db_url) != 0)
		fatal("%s: cannot start the revocation view",
		      mp_service_def.name);
	if (mp_service_def.worker_init != NULL &&
	    mp_service_def.worker_init() != 0)
		fatal("%s: worker initialisation failed", mp_service_def.name);
	for (ext = mp_service_def.extensions; ext != NULL && *ext != NULL;
	     ext++) {
		if ((*ext)->worker_init != NULL && (*ext)->worker_init() != 0)
			fatal("%s: %s: worker initialisation failed",
			      mp_service_def.name, (*ext)->name);
	}
}

void
kore_worker_teardown(void)
{
	const struct mp_extension *const *ext;

	for (ext = mp_service_def.extensions; ext != NULL && *ext != NULL;
	     ext++) {
		if ((*ext)->worker_stop != NULL)
			(*ext)->worker_stop();
	}
	mp_events_worker_stop();
	mp_revocation_stop();
	mp_redis_worker_stop();
	mp_phases_worker_stop();
	mp_jwt_cache_free(jwt_cache); /* wipes the tokens it kept */
	jwt_cache = NULL;
	/* nothing of this module may run once Kore unloads it */
	(void)sigaction(SIGTERM, &kore_sigterm, NULL);
	(void)sigaction(SIGINT, &kore_sigint, NULL);
	/* Kore's worker keeps the accept lock until it is busy, and one that
	 * exits holding it leaves the others, still draining, unable to
	 * accept: new connections (a GraphQL query's reads through this
	 * gateway among them) wait in the backlog until their grace period
	 * ends. Hand it over: a worker that has not had the lock since
	 * Kore's last "accept available" message takes it on its next turn;
	 * one that had it waits for a message the parent no longer relays
	 * once it is shutting down (README, known gaps). */
	kore_worker_make_busy();
	mp_log(MP_LOG_INFO, "shutdown", "worker stopped");
}

/* Match `path` against `pattern` ("/a/{x}/b"); fills ctx->params.
 * Returns 1 on match. */
static int
route_match(const char *path, const char *pattern, int prefix,
            struct mp_ctx *ctx)
{
	const char *p = path, *q = pattern, *end, *pend;
	size_t len;
	int n = 0;

	while (*q != '\0') {
		if (*p != '/' || *q != '/')
			return 0;
		p++;
		q++;
		end = strchr(p, '/');
		if (end == NULL)
			end = p + strlen(p);
		pend = strchr(q, '/');
		if (pend == NULL)
			pend = q + strlen(q);
		if (*q == '{') {
			len = (size_t)(end - p);
			if (len == 0 || len >= sizeof(ctx->params[0].value) ||
			    n >= MP_MAX_PARAMS)
				return 0;
			memcpy(ctx->params[n].value, p, len);
			ctx->params[n].value[len] = '\0';
			ctx->params[n].name = q + 1; /* up to '}' */
			n++;
		} else if ((size_t)(end - p) != (size_t)(pend - q) ||
		           memcmp(p, q, (size_t)(end - p)) != 0) {
			return 0;
		}
		p = end;
		q = pend;
	}
	if (*p != '\0' && strcmp(p, "/") != 0 && !(prefix && *p == '/'))
		return 0;
	ctx->nparams = n;
	return 1;
}

const char *
mp_param(const struct mp_ctx *ctx, const char *name)
{
	size_t len = strlen(name);
	int i;

	for (i = 0; i < ctx->nparams; i++) {
		if (strncmp(ctx->params[i].name, name, len) == 0 &&
		    ctx->params[i].name[len] == '}')
			return ctx->params[i].value;
	}
	return NULL;
}

static void
request_id_assign(struct mp_ctx *ctx)
{
	const char *v = mp_header(ctx, "x-request-id");
	size_t i, len;

	if (v != NULL) {
		len = strlen(v);
		for (i = 0; i < len; i++) {
			char c = v[i];
			if (!((c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			      c == '.'))
				break;
		}
		if (len > 0 && len < sizeof(ctx->request_id) && i == len) {
			memcpy(ctx->request_id, v, len + 1);
			return;
		}
	}
	if (mp_uuid_v7(ctx->request_id) != 0)
		snprintf(ctx->request_id, sizeof(ctx->request_id), "none");
}

/* 0: principal set (or anonymous on a public route); otherwise answered. */
static int
authenticate(struct mp_ctx *ctx)
{
	const char *auth = mp_header(ctx, "authorization"), *tok;
	size_t len;
	int rc;

	memset(&ctx->principal, 0, sizeof(ctx->principal));
	if (auth == NULL) {
		if (ctx->route->flags & (MP_ROUTE_PUBLIC | MP_ROUTE_INTERNAL))
			return 0;
		mp_reply_header(ctx, "WWW-Authenticate", "Bearer");
		mp_reply_problem(ctx, 401, "unauthenticated",
		                 "a bearer token is required");
		return -EACCES;
	}
	/* Another scheme (HTTP Basic client authentication on the token
	 * endpoint) is the handler's business on a public route. */
	if ((ctx->route->flags & MP_ROUTE_PUBLIC) &&
	    strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	if (mp_keyset == NULL) {
		mp_reply_problem(ctx, 401, "invalid-token",
		                 "this service accepts no tokens");
		return -EACCES;
	}
	rc = mp_jwt_bearer(auth, &tok, &len);
	if (rc != 0)
		rc = MP_JWT_MALFORMED;
	else
		rc = mp_jwt_verify_cached(jwt_cache, mp_keyset, &mp_jwt_policy,
		                          tok, len, (int64_t)time(NULL),
		                          &ctx->principal);
	if (rc == MP_JWT_INTERNAL) {
		mp_reply_problem(ctx, 500, "internal",
		                 "the token could not be checked");
		return -EIO;
	}
	if (rc != 0 || (mp_service_def.revocation &&
	                mp_revocation_revoked(ctx->principal.jti))) {
		memset(&ctx->principal, 0, sizeof(ctx->principal));
		mp_reply_header(ctx, "WWW-Authenticate",
		                "Bearer error=\"invalid_token\"");
		mp_reply_problem(ctx, 401, "invalid-token",
		                 rc != 0 ? mp_jwt_strerror(rc)
		                         : "token revoked");
		return -EACCES;
	}
	if (ctx->route->roles != 0 &&
	    !(ctx->principal.roles & ctx->route->roles)) {
		mp_reply_problem(ctx, 403, "forbidden",
		                 "your role may not use this route");
		return -EACCES;
	}
	return 0;
}

static void
ctx_free(struct http_request *req)
{
	struct mp_ctx *ctx = req->hdlr_extra;
	uint64_t dur;
	int i;

	if (ctx == NULL)
		return;
	dur = (mp_mono_ns() / 1000u) - ctx->start_us;
	if (!(ctx->route != NULL && (ctx->route->flags & MP_ROUTE_INTERNAL)))
		mp_log_access(ctx->request_id, http_method_text(req->method),
		              ctx->route != NULL ? ctx->route->pattern
		                                 : "unmatched",
		              req->status, (double)dur / 1000.0);
	mp_metrics_observe(ctx->route_idx, req->status, dur);
	mp_metrics_gauge_add(MP_G_REQUESTS_INFLIGHT, -1);
	mp_db_ctx_free(ctx);
	mp_phase_end(ctx);
	mp_query_free(ctx);
	mp_reply_headers_free(ctx);
	for (i = 0; i < ctx->db_nvalues; i++)
		free(ctx->db_values[i]);
	if (ctx->user != NULL && ctx->user_free != NULL)
		ctx->user_free(ctx->user);
}

static int
dispatch_first(struct http_request *req)
{
	struct mp_ctx *ctx;
	const struct mp_route *r;
	size_t i;
	int allowed = 0, rc;

	ctx = http_state_create(req, sizeof(*ctx), ctx_free);
	ctx->req = req;
	ctx->start_us = (mp_mono_ns() / 1000u);
	ctx->route_idx = -1;
	mp_phase_begin(ctx);
	mp_metrics_gauge_add(MP_G_REQUESTS_INFLIGHT, 1);
	mp_metrics_worker_request();
	request_id_assign(ctx);
	ctx->lang = mp_lang_negotiate(mp_header(ctx, "accept-language"));
	if (mp_service_def.headers != NULL)
		mp_service_def.headers(ctx);

	/* Kore resets a connection whose header block overflows its buffer
	 * (http_header_max of the .conf); below that, a block over our
	 * limit gets a proper answer */
	if (header_block_len(req) > (size_t)mp_settings.header_block_max) {
		mp_reply_header(ctx, "Connection", "close");
		return mp_reply_problem(
		    ctx, 431, "header-too-large",
		    "the request's header block is larger than this server "
		    "accepts (MP_HEADER_MAX bytes)");
	}
	if ((rc = mp_health_route(ctx, req->path)) != -ENOENT)
		return rc;
	if (mp_request_on_ops(ctx))
		return mp_reply_problem(
		    ctx, 404, "not-found",
		    "the ops listener serves /healthz, /readyz, /metrics and "
		    "/_routes only");
	if (draining && (mp_service_def.drain_exempt == NULL ||
	                 !mp_service_def.drain_exempt(ctx))) {
		mp_reply_header(ctx, "Connection", "close");
		mp_reply_header(ctx, "Retry-After", "1");
		return mp_reply_problem(
		    ctx, 503, "shutting-down",
		    "this instance is shutting down; retry");
	}

	for (i = 0; i < mp_service_def.nroutes; i++) {
		r = &mp_service_def.routes[i];
		if (!route_match(req->path, r->pattern,
		                 (r->flags & MP_ROUTE_PREFIX) != 0, ctx))
			continue;
		if (r->method != req->method &&
		    !(r->flags & MP_ROUTE_ANY_METHOD)) {
			allowed |= r->method;
			continue;
		}
		ctx->route = r;
		ctx->route_idx = (int)i;
		break;
	}
	if (ctx->route == NULL) {
		if (allowed == 0)
			return mp_reply_problem(ctx, 404, "not-found",
			                        "no such resource");
		return mp_reply_method_not_allowed(ctx, (unsigned)allowed);
	}
	if ((rc = authenticate(ctx)) != 0)
		return MP_DONE;
	/* a parameter the service cannot read is refused, never dropped */
	if (mp_query_split_or_reply(ctx) != 0)
		return MP_DONE;
	return ctx->route->handler(ctx);
}

/* The only Kore route of every service. */
int
mp_http_entry(struct http_request *req)
{
	struct mp_ctx *ctx = http_state_get(req);
	int rc;

	if (ctx == NULL)
		rc = dispatch_first(req);
	else if (ctx->resume != NULL)
		rc = ctx->resume(ctx);
	else
		rc = mp_db_resume(ctx);
	return rc == MP_WAIT ? KORE_RESULT_RETRY : KORE_RESULT_OK;
}
