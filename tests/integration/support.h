/*
 * Black-box helpers for the integration suites: start and stop a Kore
 * process with an environment, HTTP over libcurl, Redis through hiredis,
 * polling with a deadline. Everything talks to the real processes that
 * scripts/test.sh prepared (PostgreSQL, Redis on free ports).
 */
#ifndef MP_TEST_SUPPORT_H
#define MP_TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct t_proc {
	pid_t pid;
	int port;
	int ops_port; /* the gateway's ops listener (MP_OPS_PORT), else 0 */
	char name[32];
	char module[16]; /* "gateway", "funding"...; "" for other processes */
};

struct t_resp {
	long status;
	char *body;
	size_t len;
	char headers[8192];
	json_t *json; /* parsed body, or NULL */
};

/* Start `name` (conf path relative to the repository root) with extra
 * environment "K=V" entries (NULL-terminated). Waits for /readyz == 200. */
int t_proc_start(struct t_proc *p, const char *name, const char *conf,
                 const char *const *env);
/* Start service `name` (conf services/<name>/conf/<name>.conf) against its
 * test database and Redis, verifying tokens of t_token (test-rs-1), with
 * extra "K=V" entries (NULL-terminated, may be NULL). As t_proc_start. */
int t_service_start(struct t_proc *p, const char *name,
                    const char *const *extra_env);

/* The keys t_service_start gives the cases service (later entries of
 * extra_env win): a key ring whose current key is test-2, which still opens
 * test-1, and the blind-index key. */
#define T_CASES_FIELD_KEYS                                                     \
	"MP_FIELD_KEYS=test-2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=,"   \
	"test-1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define T_CASES_BLIND_INDEX_KEY                                                \
	"MP_BLIND_INDEX_KEY=AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
/* Start the test app (tests/app, its test database) as t_service_start
 * does a service, on `port` (0: a free one), with extra "K=V" entries. */
int t_testapp_start(struct t_proc *p, const char *name,
                    const char *const *extra_env, int port);

/* The first admin of every test gateway (MP_BOOTSTRAP_ADMIN). */
#define T_GATEWAY_ADMIN "root-admin:root-password-2026"

/* Start the gateway (gateway/conf/gateway.conf) as t_service_start does a
 * service, signing with test-es-1, 2 workers, the cheap argon2id of tests,
 * T_GATEWAY_ADMIN, an ops listener on a free port (p->ops_port), no
 * upstream unless `extra_env` names one (later entries win). As
 * t_proc_start. */
int t_gateway_start(struct t_proc *p, const char *name,
                    const char *const *extra_env);

/* `p` as seen on its ops listener (/metrics, /_routes): for t_http. */
struct t_proc t_ops(const struct t_proc *p);

/* The pids of p's Kore workers (its children named "... [wrk N]"), at
 * most max of them; how many. */
int t_proc_workers(const struct t_proc *p, pid_t *out, int max);

/* /metrics of p (on its ops listener when it has one), malloc'd; NULL
 * when it does not answer 200. */
char *t_metrics_text(const struct t_proc *p);

/* The value of the series name{...} whose labels end with `label` (e.g.
 * "upstream=\"raw\"") in a /metrics text; -1 when absent. */
long long t_metric(const char *text, const char *name, const char *label);

/* How many times Kore restarted a worker of `p` (a fatal, a seccomp kill),
 * from its log; negative errno when the log cannot be read. */
int t_proc_worker_restarts(const struct t_proc *p);

/*
 * How each worker of a Kore process ends. Kore's parent reaps its workers
 * at shutdown without saying how they ended: a worker killed by SIGSEGV
 * in its exit path looks, in the log and in the parent's exit status,
 * exactly like one that exited cleanly. t_workers_watch finds the n
 * workers of p (waiting up to 5 s for them) and traces each from a thread
 * of this process (ptrace PTRACE_SEIZE with PTRACE_O_TRACEEXIT: every
 * signal is passed on unchanged, the end is seen before the parent reaps
 * it). 0, or a negative errno (-ESRCH: fewer than n workers; ptrace
 * refused); *w is then NULL.
 *
 * t_workers_ended waits up to timeout_ms for every watched worker to end,
 * stops watching and frees w. Returns how many did not end by exit(0),
 * describing the first ("pid 123: signal 11") in why; a worker still
 * running at the deadline counts too.
 */
struct t_watch;
int t_workers_watch(const struct t_proc *p, int n, struct t_watch **w);
int t_workers_ended(struct t_watch *w, int timeout_ms, char *why,
                    size_t whylen);

/* Talk to p over one raw TCP connection: write each of the NULL-terminated
 * `pieces` in turn, pause_ms apart, then read until `nresp` whole answers
 * (by Content-Length) have come, the peer closed, or 5 s passed. *out is
 * everything read (NUL-terminated, free() it). Returns the number of whole
 * answers read, or a negative errno. For what curl cannot do: a request
 * split across writes, a header block bigger than curl sends. */
int t_raw_exchange(const struct t_proc *p, const char *const *pieces,
                   int pause_ms, int nresp, char **out);

/* An in-process peer upstream: accept on lfd from a thread of the calling
 * process, each connection on a detached thread running
 * conn((void *)(intptr_t)fd), after on_accept() when not NULL. Once per
 * process (each test runs in a fork): 1 when it started now, 0 when this
 * process already serves. */
int t_peer_serve(int lfd, void *(*conn)(void *), void (*on_accept)(void));

/* A test peer's next request on fd: read into buf (cap bytes, *have of
 * them already read) until its head and its Content-Length body are in.
 * 0 with *hlen (head and its blank line) and *blen; -1 when the client
 * closed or the request does not fit. The caller consumes hlen + blen. */
int t_peer_read_request(int fd, char *buf, size_t cap, size_t *have,
                        size_t *hlen, size_t *blen);

/* A TCP connection to 127.0.0.1:port: the fd (nonblock: non-blocking, its
 * connect perhaps still in progress), or a negative errno (-ECONNREFUSED
 * when nothing listens). */
int t_connect_loopback(int port, int nonblock);

/* A listening TCP socket on 127.0.0.1 and a free port (for in-process test
 * peers): the fd, or a negative errno. */
int t_listen_loopback(int *port);

/* The route table of an in-process peer upstream that owns /v1/<name>
 * (every method below it, any authenticated principal, like a service
 * whose routes are all "the service decides"), as a service serves it at
 * /_routes. Static storage, valid until the next call. */
const char *t_peer_routes(const char *name);

/* If the request in req (its head, NUL-terminated) is GET /readyz or GET
 * /_routes, answer it on fd as a service would (routes: the table,
 * t_peer_routes) and return 1; else 0 (the peer answers it itself). */
int t_peer_ops_answer(int fd, const char *req, const char *routes);

/* Serve only /readyz and /_routes on the listening socket lfd from a
 * thread of this process (while the gateway loads its tables at start),
 * until t_peer_ops_stop. 0 or -1. */
int t_peer_ops_start(int lfd, const char *routes);
void t_peer_ops_stop(void);

/* The string member `key` of o, or "" (never NULL). */
const char *t_jstr(const json_t *o, const char *key);

/* 1 if r is the gateway's own refusal of a route: 401 "a bearer token is
 * required for this route" or 403 "the gateway's route table does not
 * admit you here". */
int t_gateway_refused(const struct t_resp *r);

/*
 * The role x route equality of a service and the gateway in front of it:
 * for every route of svc's /_routes (prefix routes aside, {params} filled
 * with plausible values), with no token and with a token for each role
 * (token(role), malloc'd), the service refuses it (the library's 401 /
 * 403) exactly when the gateway does, and a public route is refused by
 * neither without a token. Asserts; returns how many (route, principal)
 * pairs were compared.
 */
size_t t_routes_agree(const struct t_proc *svc, const struct t_proc *gw,
                      char *(*token)(const char *role));

/* kill -9 of the whole process (parent and workers, no clean-up).
 * Returns the wait status. */
int t_proc_kill(struct t_proc *p);
/* SIGTERM, wait up to 20 s, then SIGKILL. Returns the exit status. */
int t_proc_stop(struct t_proc *p);

/* HTTP request to the process. extra_headers NULL-terminated. */
int t_http(const struct t_proc *p, const char *method, const char *path,
           const char *const *extra_headers, const char *body, size_t len,
           struct t_resp *r);
void t_resp_free(struct t_resp *r);
/* Value of a response header (case-insensitive) into out, 0 if found. */
int t_resp_header(const struct t_resp *r, const char *name, char *out,
                  size_t outlen);

/* Redis: run a command, return integer/len result or -1. */
long long t_redis_int(const char *fmt, ...);
/* Stop / start the test Redis (same port, same AOF). */
int t_redis_stop(void);
int t_redis_start(void);

/* The database URL of service `svc` in the test cluster. */
void t_db_url(const char *svc, char *out, size_t outlen);
/* The first value of query q (one optional text parameter) on service
 * svc's database, malloc'd, or NULL when it returns no row or NULL. A
 * failed query fails the test. */
char *t_db_scalar(const char *svc, const char *q, const char *arg);
/* A path under the test var directory. */
void t_var_path(const char *name, char *out, size_t outlen);
/* Read a PEM file of tests/keys into a malloc'd string. */
char *t_key(const char *file);
void t_sleep_ms(int ms);
/* Milliseconds on the monotonic clock (for durations in tests). */
int64_t t_mono_ms(void);

/* A test access token (RS256, kid test-rs-1, iss https://auth.test, aud
 * mp-api, valid 1 h) for `sub` with comma-separated role names and a
 * region ("" for none). malloc'd. */
char *t_token(const char *sub, const char *roles, const char *region);
/* The same with a commune claim ("" for none): a municipal agent's. */
char *t_token_commune(const char *sub, const char *roles, const char *region,
                      const char *commune);

/* JSON request with a bearer token (NULL: none); body may be NULL. */
int t_json(const struct t_proc *p, const char *method, const char *path,
           const char *token, const json_t *body, struct t_resp *r);
/* t_json to the path printf'd from fmt, failing the test (with the start
 * of the answer) unless the status is `want`. body (may be NULL) is
 * stolen. Returns the answer's JSON, or an empty object; the caller
 * releases it. */
json_t *t_expect(const struct t_proc *p, const char *method, const char *token,
                 json_t *body, long want, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
json_t *t_expectv(const struct t_proc *p, const char *method, const char *token,
                  json_t *body, long want, const char *fmt, va_list ap);

/* Publish an account as the gateway does (gateway.user.registered.v1 on
 * events:gateway, data {sub, roles, region}; roles comma-separated, region
 * "" for none) and wait until consumer group `group` (a service name)
 * has taken it. 0, or -1 when Redis fails or after 5 s. */
int t_account_published(const char *sub, const char *roles, const char *region,
                        const char *group);

/* Every CloudEvent of a Redis stream (parsed "event" fields, in order):
 * a new array, or NULL when Redis is unreachable. */
json_t *t_stream_events(const char *stream);

/* ---- gateway edge suites ------------------------------------------------- */

/* As t_service_start, listening on `port` (0: a free one): restart a
 * service where a gateway already expects it. */
int t_service_start_port(struct t_proc *p, const char *name,
                         const char *const *extra_env, int port);

/* An RS256 token of test-rs-1 with exactly `claims` (borrowed; nothing
 * added). malloc'd, or NULL. */
char *t_token_claims(const json_t *claims);

/* A forged token: base64url(header_json) "." base64url(claims) "." and an
 * HS256 signature with hmac_key (its bytes as the secret), or an empty
 * signature when hmac_key is NULL. malloc'd, or NULL. */
char *t_jwt_forge(const char *header_json, const json_t *claims,
                  const char *hmac_key);

/* `token` with its header segment replaced by base64url(header_json) (the
 * signature no longer matches). malloc'd, or NULL. */
char *t_jwt_reheader(const char *token, const char *header_json);

/* Wait until consumer group `group` of `stream` has read and acknowledged
 * every entry (lag and pending 0) and the stream took no new entry for
 * quiet_ms (a producer's relay publishes within milliseconds of a
 * commit). For tests that write through the gateway and then expect cache
 * hits: the gateway's invalidation of those writes lands first. 0, or -1
 * after timeout_ms. */
int t_stream_settle(const char *stream, const char *group, int quiet_ms,
                    int timeout_ms);

/* Check assertions that the operations `p` serves (its /_routes) are
 * exactly those of the OpenAPI file `file` (relative to the repository
 * root), naming the first one missing on either side. */
void t_assert_routes_match_openapi(const struct t_proc *p, const char *file);

/* POST /graphql {query, variables} to p with a bearer token (NULL: none)
 * and an Accept header (NULL: none); vars (may be NULL) is stolen. Fails
 * the test when the request cannot be made; the answer in r. */
void t_graphql(const struct t_proc *p, const char *token, const char *accept,
               const char *query, json_t *vars, struct t_resp *r);
/* The SHA-256 of text in lower-case hex (a persisted query's hash). */
void t_sha256_hex(const char *text, char out[65]);

/* Run a command of the repository's test tooling from its root
 * (MP_TEST_ROOT), the npm tools installed first (scripts/node-tools.sh):
 * the printf'd command line, e.g. "node tests/graphql/x.mjs %s". Returns
 * system()'s status (0: it exited 0). */
int t_tool(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct Suite;
/* Run a suite with Check's normal output; 0 when every test passed. */
int t_run(struct Suite *s);

#endif
