/* Integration helpers (contract in support.h). */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <libpq-fe.h>
#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <sodium.h>

#include "mp/jwt.h"
#include "mp/util.h"

#include "support.h"

static const char *env_or(const char *name, const char *def);
static int settle_look(redisContext *rd, const char *stream, const char *group,
                       long long *xlen, int *caught_up);
static char *b64url(const void *data, size_t len);

/* Port the next t_proc_start listens on (0: a free one). */
static int forced_port;
static size_t on_body(char *ptr, size_t size, size_t n, void *arg);
static size_t on_header(char *ptr, size_t size, size_t n, void *arg);
static int free_port(void);
static json_t *openapi_operations(const char *file);
static int has_string(const json_t *arr, const char *s);
static const char *conf_for_build(const char *name, const char *conf, char *out,
                                  size_t outlen);

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

int64_t
t_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
t_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

void
t_db_url(const char *svc, char *out, size_t outlen)
{
	snprintf(out, outlen, "postgresql://%s:%s-test-pw@127.0.0.1:%s/%s", svc,
	         svc, env_or("MP_TEST_PG_PORT", "5432"), svc);
}

char *
t_db_scalar(const char *svc, const char *q, const char *arg)
{
	char url[256], *v = NULL;
	const char *params[1] = {arg};
	PGconn *pg;
	PGresult *res;

	t_db_url(svc, url, sizeof(url));
	pg = PQconnectdb(url);
	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "%s: %s", svc,
	              PQerrorMessage(pg));
	res = PQexecParams(pg, q, arg != NULL ? 1 : 0, NULL, params, NULL, NULL,
	                   0);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", q,
	              PQerrorMessage(pg));
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(pg);
	return v;
}

void
t_var_path(const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", env_or("MP_TEST_VAR", "/tmp"), name);
}

char *
t_key(const char *file)
{
	char path[512], *buf;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s",
	         env_or("MP_TEST_KEYS", "tests/keys"), file);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)len + 1);
	if (buf != NULL && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int
free_port(void)
{
	char cmd[256];
	int port;

	for (int i = 0; i < 100; i++) {
		/* below the kernel's ephemeral range (32768-60999), so no
		 * client connection can hold it; any TCP state counts */
		port = 20000 + (int)((unsigned)rand() % 12000u);
		snprintf(cmd, sizeof(cmd), "ss -Htan 'sport = :%d' | grep -q .",
		         port);
		if (system(cmd) != 0)
			return port;
	}
	return 0;
}

/* A copy of `conf` loading the module from MP_TEST_BUILD (the sanitizer
 * build lives in build-san/), or `conf` itself for the default build. */
static const char *
conf_for_build(const char *name, const char *conf, char *out, size_t outlen)
{
	const char *b = getenv("MP_TEST_BUILD");
	char line[1024];
	FILE *in, *o;

	if (b == NULL || strstr(b, "/build-") == NULL)
		return conf;
	snprintf(out, outlen, "%s/%s.conf", env_or("MP_TEST_VAR", "/tmp"),
	         name);
	if ((in = fopen(conf, "r")) == NULL || (o = fopen(out, "w")) == NULL) {
		if (in != NULL)
			fclose(in);
		return conf;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		if (strncmp(line, "load ./build/", 13) == 0)
			fprintf(o, "load %s/%s", b, line + 13);
		else
			fputs(line, o);
	}
	fclose(in);
	fclose(o);
	return out;
}

int
t_proc_start(struct t_proc *p, const char *name, const char *conf,
             const char *const *env)
{
	static int seeded;
	char logpath[512], portenv[32], confpath[512];
	struct t_resp r;
	int i, fd;

	/* once: seeding again in the same second would hand the next
	 * process the ports the previous one was given */
	if (!seeded) {
		srand((unsigned)time(NULL) ^ (unsigned)getpid());
		seeded = 1;
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	/* t_service_start_port asks for a port; everyone else a free one */
	p->port = forced_port > 0 ? forced_port : free_port();
	forced_port = 0;
	snprintf(portenv, sizeof(portenv), "MP_HTTP_PORT=%d", p->port);
	snprintf(logpath, sizeof(logpath), "%s/log/%s.log",
	         env_or("MP_TEST_VAR", "/tmp"), name);
	conf = conf_for_build(name, conf, confpath, sizeof(confpath));
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		/* its own process group, so t_proc_kill takes the workers too
		 */
		setpgid(0, 0);
		if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644)) >=
		    0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		putenv(portenv);
		for (i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)(uintptr_t)env[i]);
		execlp("kore", "kore", "-c", conf, "-f", "-n", "-r",
		       (char *)NULL);
		_exit(127);
	}
	/* scripts/test.sh kills what a crashed suite left behind */
	snprintf(logpath, sizeof(logpath), "%s/run",
	         env_or("MP_TEST_VAR", "/tmp"));
	(void)mkdir(logpath, 0755);
	snprintf(logpath, sizeof(logpath), "%s/run/%s-%d.pid",
	         env_or("MP_TEST_VAR", "/tmp"), name, (int)p->pid);
	{
		FILE *pf = fopen(logpath, "w");

		if (pf != NULL) {
			fprintf(pf, "%d\n", (int)p->pid);
			fclose(pf);
		}
	}
	for (i = 0; i < 300; i++) {
		t_sleep_ms(100);
		if (t_http(p, "GET", "/readyz", NULL, NULL, 0, &r) == 0 &&
		    r.status == 200) {
			t_resp_free(&r);
			return 0;
		}
		t_resp_free(&r);
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			p->pid = 0;
			return -ECHILD;
		}
	}
	return -ETIMEDOUT;
}

/* Start a process with the environment every suite gives: its test
 * database, Redis, both test verification keys, the test issuer and
 * audience, its migrations; then `extra` ("K=V", later entries win). */
static int
start_with_env(struct t_proc *p, const char *name, const char *db_name,
               const char *conf, const char *migrations,
               const char *const *base, const char *const *extra_env)
{
	/* static: putenv keeps the pointers (in the child) */
	static char db[256], redis[160], keys[512], migr[160];
	const char *env[40], *k = env_or("MP_TEST_KEYS", "tests/keys");
	char url[200];
	int i = 0;

	t_db_url(db_name, url, sizeof(url));
	snprintf(db, sizeof(db), "MP_DB_URL=%s", url);
	snprintf(redis, sizeof(redis), "MP_REDIS_URL=%s",
	         env_or("MP_TEST_REDIS_URL", "redis://127.0.0.1:6379"));
	snprintf(keys, sizeof(keys),
	         "MP_JWT_KEYS=test-rs-1:RS256:%s/test-rs-1.pub.pem,"
	         "test-es-1:ES256:%s/test-es-1.pub.pem",
	         k, k);
	snprintf(migr, sizeof(migr), "MP_MIGRATIONS_DIR=%s", migrations);
	env[i++] = db;
	env[i++] = redis;
	env[i++] = keys;
	env[i++] = "MP_JWT_ISSUER=https://auth.test";
	env[i++] = "MP_JWT_AUDIENCE=mp-api";
	env[i++] = migr;
	for (int n = 0; base != NULL && base[n] != NULL && i < 39; n++)
		env[i++] = base[n];
	for (int n = 0; extra_env != NULL && extra_env[n] != NULL && i < 39;
	     n++)
		env[i++] = extra_env[n];
	env[i] = NULL;
	i = t_proc_start(p, name, conf, env);
	snprintf(p->module, sizeof(p->module), "%s", db_name);
	return i;
}

int
t_service_start(struct t_proc *p, const char *name,
                const char *const *extra_env)
{
	char conf[160], migr[160];

	/* the cases service's keys of personal data (test values) */
	static const char *const cases_keys[] = {T_CASES_FIELD_KEYS,
	                                         T_CASES_BLIND_INDEX_KEY, NULL};

	snprintf(conf, sizeof(conf), "services/%s/conf/%s.conf", name, name);
	snprintf(migr, sizeof(migr), "services/%s/migrations", name);
	return start_with_env(p, name, name, conf, migr,
	                      strcmp(name, "cases") == 0 ? cases_keys : NULL,
	                      extra_env);
}

int
t_gateway_start(struct t_proc *p, const char *name,
                const char *const *extra_env)
{
	static char sign[256], ops[32];
	const char *base[7];
	int ops_port = free_port(), rc;

	snprintf(sign, sizeof(sign),
	         "MP_JWT_SIGNING_KEY=test-es-1:ES256:%s/test-es-1.key.pem",
	         env_or("MP_TEST_KEYS", "tests/keys"));
	base[0] = sign;
	base[1] = "MP_WORKERS=2";
	base[2] = "MP_PWHASH_FAST=1";
	base[3] = "MP_BOOTSTRAP_ADMIN=" T_GATEWAY_ADMIN;
	base[4] = "MP_UPSTREAMS=";
	snprintf(ops, sizeof(ops), "MP_OPS_PORT=%d", ops_port);
	base[5] = ops;
	base[6] = NULL;
	rc = start_with_env(p, name, "gateway", "gateway/conf/gateway.conf",
	                    "gateway/migrations", base, extra_env);
	p->ops_port = ops_port;
	return rc;
}

struct t_proc
t_ops(const struct t_proc *p)
{
	struct t_proc o = *p;

	o.port = p->ops_port;
	return o;
}

int
t_proc_workers(const struct t_proc *p, pid_t *out, int max)
{
	char path[64], cmd[256];
	FILE *f;
	long child;
	int n = 0;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)p->pid,
	         (int)p->pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (n < max && fscanf(f, "%ld", &child) == 1) {
		FILE *c;

		snprintf(path, sizeof(path), "/proc/%ld/cmdline", child);
		if ((c = fopen(path, "r")) == NULL)
			continue;
		len = fread(cmd, 1, sizeof(cmd) - 1, c);
		fclose(c);
		cmd[len] = '\0';
		if (strstr(cmd, "wrk") != NULL)
			out[n++] = (pid_t)child;
	}
	fclose(f);
	return n;
}

char *
t_metrics_text(const struct t_proc *p)
{
	struct t_proc ops = p->ops_port > 0 ? t_ops(p) : *p;
	struct t_resp r;
	char *body = NULL;

	if (t_http(&ops, "GET", "/metrics", NULL, NULL, 0, &r) != 0)
		return NULL;
	if (r.status == 200 && r.body != NULL)
		body = strdup(r.body);
	t_resp_free(&r);
	return body;
}

long long
t_metric(const char *text, const char *name, const char *label)
{
	char pat[256];
	const char *p, *end;
	size_t ll = strlen(label);
	long long v;

	snprintf(pat, sizeof(pat), "\n%s{", name);
	for (p = text; (p = strstr(p, pat)) != NULL; p++) {
		end = strchr(p + strlen(pat), '}');
		if (end == NULL)
			break;
		if ((size_t)(end - p) > ll &&
		    strncmp(end - ll, label, ll) == 0 &&
		    sscanf(end + 1, " %lld", &v) == 1)
			return v;
	}
	return -1;
}

int
t_testapp_start(struct t_proc *p, const char *name,
                const char *const *extra_env, int port)
{
	forced_port = port;
	return start_with_env(p, name, "testapp", "tests/app/testapp.conf",
	                      "tests/app/migrations", NULL, extra_env);
}

#define WATCH_MAX 16

struct t_watch {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started; /* the tracer seized every worker (1) or failed (-1) */
	int seize_err;
	int stop;
	int n;
	pid_t pid[WATCH_MAX];
	int ended[WATCH_MAX];
	int status[WATCH_MAX]; /* wait status of the end, -1: lost */
};

/* The pids of the children of `parent` (its workers), at most max. */
static int
children_of(pid_t parent, pid_t *out, int max)
{
	char path[300], buf[512], *rp;
	struct dirent *de;
	DIR *d;
	FILE *f;
	int n = 0, ppid;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		/* pid (comm) state ppid: comm may hold spaces, so from the
		 * last ')' */
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (rp = strrchr(buf, ')')) != NULL &&
		    sscanf(rp + 1, " %*c %d", &ppid) == 1 && ppid == parent)
			out[n++] = (pid_t)atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return n;
}

static void
watch_end(struct t_watch *w, int i, int status)
{
	pthread_mutex_lock(&w->mu);
	w->ended[i] = 1;
	w->status[i] = status;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* The tracer: ptrace requests must all come from the thread that seized. */
static void *
watch_main(void *arg)
{
	struct t_watch *w = arg;
	unsigned long msg;
	int i, st, left, err = 0;
	pid_t r;

	for (i = 0; i < w->n && err == 0; i++) {
		if (ptrace(PTRACE_SEIZE, w->pid[i], NULL,
		           (void *)(uintptr_t)PTRACE_O_TRACEEXIT) != 0)
			err = errno;
	}
	pthread_mutex_lock(&w->mu);
	w->started = err == 0 ? 1 : -1;
	w->seize_err = err;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (err != 0)
		return NULL; /* those seized are released with this thread */
	for (;;) {
		left = 0;
		for (i = 0; i < w->n; i++) {
			if (w->ended[i])
				continue;
			left++;
			r = waitpid(w->pid[i], &st, __WALL | WNOHANG);
			if (r == 0)
				continue;
			if (r < 0) {
				watch_end(w, i, -1);
			} else if (WIFEXITED(st) || WIFSIGNALED(st)) {
				watch_end(w, i, st);
			} else if (WIFSTOPPED(st) &&
			           (st >> 8) ==
			               (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
				msg = 0;
				(void)ptrace(PTRACE_GETEVENTMSG, w->pid[i],
				             NULL, &msg);
				watch_end(w, i, (int)msg);
				(void)ptrace(PTRACE_CONT, w->pid[i], NULL,
				             NULL);
			} else if (WIFSTOPPED(st)) {
				/* a signal on its way (passed on as it is),
				 * or a group-stop (0: resumed) */
				(void)ptrace(
				    PTRACE_CONT, w->pid[i], NULL,
				    (void *)(uintptr_t)((st >> 16) == 0
				                            ? WSTOPSIG(st)
				                            : 0));
			}
		}
		if (left == 0 || w->stop)
			break;
		t_sleep_ms(1);
	}
	return NULL;
}

int
t_workers_watch(const struct t_proc *p, int n, struct t_watch **wp)
{
	struct t_watch *w;
	int i, rc;

	*wp = NULL;
	if (n < 1 || n > WATCH_MAX || (w = calloc(1, sizeof(*w))) == NULL)
		return -EINVAL;
	for (i = 0; i < 500 && w->n < n; i++) {
		w->n = children_of(p->pid, w->pid, WATCH_MAX);
		if (w->n < n)
			t_sleep_ms(10);
	}
	if (w->n < n) {
		free(w);
		return -ESRCH;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		free(w);
		return -EAGAIN;
	}
	pthread_mutex_lock(&w->mu);
	while (w->started == 0)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	if (w->started < 0) {
		rc = -w->seize_err;
		pthread_join(w->thread, NULL);
		free(w);
		return rc;
	}
	*wp = w;
	return 0;
}

int
t_workers_ended(struct t_watch *w, int timeout_ms, char *why, size_t whylen)
{
	struct timespec until;
	int i, bad = 0;

	if (whylen > 0)
		why[0] = '\0';
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	for (;;) {
		for (i = 0; i < w->n && w->ended[i]; i++)
			;
		if (i == w->n ||
		    pthread_cond_timedwait(&w->cv, &w->mu, &until) != 0)
			break;
	}
	w->stop = 1;
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	for (i = 0; i < w->n; i++) {
		const char *what = NULL;
		char d[64];

		if (!w->ended[i])
			what = "still running";
		else if (w->status[i] == -1)
			what = "lost (not traced to its end)";
		else if (WIFSIGNALED(w->status[i])) {
			snprintf(d, sizeof(d), "killed by signal %d",
			         WTERMSIG(w->status[i]));
			what = d;
		} else if (WEXITSTATUS(w->status[i]) != 0) {
			snprintf(d, sizeof(d), "exit status %d",
			         WEXITSTATUS(w->status[i]));
			what = d;
		}
		if (what == NULL)
			continue;
		if (bad++ == 0 && whylen > 0)
			snprintf(why, whylen, "worker pid %d: %s",
			         (int)w->pid[i], what);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	return bad;
}

int
t_proc_worker_restarts(const struct t_proc *p)
{
	char path[512], line[1024];
	FILE *f;
	int restarts = 0;

	snprintf(path, sizeof(path), "%s/log/%s.log",
	         env_or("MP_TEST_VAR", "/tmp"), p->name);
	if ((f = fopen(path, "r")) == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "restarting worker") != NULL)
			restarts++;
	fclose(f);
	return restarts;
}

/* Whole answers at the start of buf (status line, headers, Content-Length
 * bytes of body). */
static int
raw_answers(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *hend, *cl;
	int n = 0;
	long body;

	while (p < end && (hend = strstr(p, "\r\n\r\n")) != NULL) {
		body = 0;
		cl = strcasestr(p, "\r\ncontent-length:");
		if (cl != NULL && cl < hend)
			body = strtol(cl + 17, NULL, 10);
		if (hend + 4 + body > end)
			break;
		p = hend + 4 + body;
		n++;
	}
	return n;
}

int
t_connect_loopback(int port, int nonblock)
{
	struct sockaddr_in sa;
	int fd, err;

	fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    !(nonblock && errno == EINPROGRESS)) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int
t_raw_exchange(const struct t_proc *p, const char *const *pieces, int pause_ms,
               int nresp, char **out)
{
	struct pollfd pfd;
	size_t len = 0, cap = 65536;
	char *buf;
	ssize_t n;
	int fd, i, waited = 0;

	*out = NULL;
	if ((fd = t_connect_loopback(p->port, 0)) < 0)
		return fd;
	for (i = 0; pieces[i] != NULL; i++) {
		if (i > 0 && pause_ms > 0)
			t_sleep_ms(pause_ms);
		if (send(fd, pieces[i], strlen(pieces[i]), MSG_NOSIGNAL) < 0)
			break; /* the peer may answer and close early */
	}
	buf = malloc(cap + 1);
	ck_assert_ptr_nonnull(buf);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (raw_answers(buf, len) < nresp && waited < 5000) {
		if (poll(&pfd, 1, 100) == 0) {
			waited += 100;
			continue;
		}
		if (len == cap) {
			buf = realloc(buf, (cap *= 2) + 1);
			ck_assert_ptr_nonnull(buf);
		}
		if ((n = recv(fd, buf + len, cap - len, 0)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	return raw_answers(buf, len);
}

int
t_peer_read_request(int fd, char *buf, size_t cap, size_t *have, size_t *hlen,
                    size_t *blen)
{
	const char *hend, *p;
	ssize_t n;

	while ((hend = memmem(buf, *have, "\r\n\r\n", 4)) == NULL) {
		if (*have == cap)
			return -1;
		if ((n = recv(fd, buf + *have, cap - *have, 0)) <= 0)
			return -1;
		*have += (size_t)n;
	}
	*hlen = (size_t)(hend - buf) + 4;
	*blen = 0;
	for (p = buf; p < buf + *hlen; p = strchr(p, '\n') + 1)
		if (strncasecmp(p, "content-length:", 15) == 0)
			*blen = (size_t)strtoul(p + 15, NULL, 10);
	if (*hlen + *blen > cap)
		return -1;
	while (*have < *hlen + *blen) {
		if ((n = recv(fd, buf + *have, *hlen + *blen - *have, 0)) <= 0)
			return -1;
		*have += (size_t)n;
	}
	return 0;
}

struct peer_loop {
	int lfd;
	void *(*conn)(void *);
	void (*on_accept)(void);
};

static void *
peer_loop(void *arg)
{
	struct peer_loop pl = *(struct peer_loop *)arg;
	pthread_t t;
	int fd;

	free(arg);
	for (;;) {
		if ((fd = accept(pl.lfd, NULL, NULL)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		if (pl.on_accept != NULL)
			pl.on_accept();
		if (pthread_create(&t, NULL, pl.conn, (void *)(intptr_t)fd) !=
		    0)
			close(fd);
		else
			pthread_detach(t);
	}
}

int
t_peer_serve(int lfd, void *(*conn)(void *), void (*on_accept)(void))
{
	static pid_t owner;
	struct peer_loop *pl;
	pthread_t t;

	if (owner == getpid())
		return 0;
	owner = getpid();
	pl = malloc(sizeof(*pl));
	ck_assert_ptr_nonnull(pl);
	pl->lfd = lfd;
	pl->conn = conn;
	pl->on_accept = on_accept;
	ck_assert_int_eq(pthread_create(&t, NULL, peer_loop, pl), 0);
	pthread_detach(t);
	return 1;
}

int
t_listen_loopback(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1, fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		close(fd);
		return -EADDRNOTAVAIL;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

const char *
t_peer_routes(const char *name)
{
	static char doc[512];

	snprintf(doc, sizeof(doc),
	         "[{\"method\":\"*\",\"path\":"
	         "\"/v1/%s\",\"public\":false,\"prefix\":true,\"roles\":[],"
	         "\"scopes\":[],\"cache_ttl_s\":0,\"public_data\":false,"
	         "\"rate_class\":\"default\",\"repeats\":true}]",
	         name);
	return doc;
}

int
t_peer_ops_answer(int fd, const char *req, const char *routes)
{
	static const char ready[] = "{\"status\":\"ready\",\"checks\":"
	                            "{\"routes\":\"\\\"peer-1\\\"\"}}";
	char out[2048];
	int n;

	if (strncmp(req, "GET /readyz ", 12) == 0)
		n = snprintf(
		    out, sizeof(out),
		    "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\nConnection: close\r\n"
		    "Content-Length: %zu\r\n\r\n%s",
		    strlen(ready), ready);
	else if (strncmp(req, "GET /_routes ", 13) == 0)
		n = snprintf(
		    out, sizeof(out),
		    "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\nETag: \"peer-1\"\r\n"
		    "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
		    strlen(routes), routes);
	else
		return 0;
	if (n > 0 && (size_t)n < sizeof(out))
		(void)!write(fd, out, (size_t)n);
	return 1;
}

static struct {
	int lfd;
	const char *routes;
	volatile int stop;
	pthread_t t;
} peer_ops = {.lfd = -1};

static void *
ops_main(void *arg)
{
	struct pollfd pfd;
	char buf[4096];
	ssize_t n;
	int fd;

	(void)arg;
	while (!peer_ops.stop) {
		pfd.fd = peer_ops.lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((fd = accept(peer_ops.lfd, NULL, NULL)) < 0)
			continue;
		if ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			(void)t_peer_ops_answer(fd, buf, peer_ops.routes);
		}
		close(fd);
	}
	return NULL;
}

int
t_peer_ops_start(int lfd, const char *routes)
{
	peer_ops.lfd = lfd;
	peer_ops.routes = routes;
	peer_ops.stop = 0;
	return pthread_create(&peer_ops.t, NULL, ops_main, NULL) == 0 ? 0 : -1;
}

void
t_peer_ops_stop(void)
{
	if (peer_ops.lfd < 0)
		return;
	peer_ops.stop = 1;
	pthread_join(peer_ops.t, NULL);
	peer_ops.lfd = -1;
}

int
t_proc_kill(struct t_proc *p)
{
	char pidfile[512];
	int status = -1;

	if (p->pid <= 0)
		return -1;
	snprintf(pidfile, sizeof(pidfile), "%s/run/%s-%d.pid",
	         env_or("MP_TEST_VAR", "/tmp"), p->name, (int)p->pid);
	kill(-p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
	(void)unlink(pidfile);
	p->pid = 0;
	return status;
}

int
t_proc_stop(struct t_proc *p)
{
	int status = -1, i;

	char pidfile[512];

	if (p->pid <= 0)
		return -1;
	snprintf(pidfile, sizeof(pidfile), "%s/run/%s-%d.pid",
	         env_or("MP_TEST_VAR", "/tmp"), p->name, (int)p->pid);
	(void)unlink(pidfile);
	kill(p->pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = 0;
			return status;
		}
		t_sleep_ms(100);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
	p->pid = 0;
	return status;
}

static size_t
on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct t_resp *r = arg;
	char *nb = realloc(r->body, r->len + size * n + 1);

	if (nb == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, ptr, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static size_t
on_header(char *ptr, size_t size, size_t n, void *arg)
{
	struct t_resp *r = arg;
	size_t have = strlen(r->headers);

	if (have + size * n < sizeof(r->headers)) {
		memcpy(r->headers + have, ptr, size * n);
		r->headers[have + size * n] = '\0';
	}
	return size * n;
}

/*
 * When MP_TEST_RECORD names a file, every exchange is appended to it as
 * one JSON line {proc, module, method, path, status, headers, body} (headers of
 * the final answer, names lower-case, repeated ones joined with ", ";
 * body as text, null when not UTF-8): tests/contract/openapi_contract.sh
 * checks each against its operation in openapi/. Lines are written under
 * an exclusive lock (Check forks each test).
 */
static void
record_exchange(const struct t_proc *p, const char *method, const char *path,
                const struct t_resp *r)
{
	const char *file = getenv("MP_TEST_RECORD"), *line, *end, *colon;
	json_t *hdrs, *o, *old;
	char name[128], *text;
	size_t nlen, i;
	int fd;

	if (file == NULL || *file == '\0')
		return;
	hdrs = json_object();
	/* the last header block (after any interim answer) */
	for (line = r->headers; line != NULL && *line != '\0'; line = end) {
		end = strstr(line, "\r\n");
		end = end != NULL ? end + 2 : line + strlen(line);
		if (strncmp(line, "HTTP/", 5) == 0) {
			json_object_clear(hdrs);
			continue;
		}
		colon = memchr(line, ':', (size_t)(end - line));
		if (colon == NULL ||
		    (nlen = (size_t)(colon - line)) >= sizeof(name))
			continue;
		for (i = 0; i < nlen; i++)
			name[i] = (char)tolower((unsigned char)line[i]);
		name[nlen] = '\0';
		for (colon++; *colon == ' ' || *colon == '\t'; colon++)
			;
		o = json_stringn(colon, (size_t)(end - colon) - 2);
		if (o == NULL)
			continue;
		if ((old = json_object_get(hdrs, name)) != NULL) {
			char *joined;

			if (asprintf(&joined, "%s, %s", json_string_value(old),
			             json_string_value(o)) > 0) {
				json_object_set_new(hdrs, name,
				                    json_string(joined));
				free(joined);
			}
			json_decref(o);
		} else {
			json_object_set_new(hdrs, name, o);
		}
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o?}", "proc", p->name,
	              "module", p->module, "method", method, "path", path,
	              "status", (int)r->status, "headers", hdrs, "body",
	              r->body != NULL ? json_stringn(r->body, r->len)
	                              : json_string(""));
	if (o == NULL)
		return;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return;
	if ((fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0) {
		if (flock(fd, LOCK_EX) == 0) {
			(void)!write(fd, text, strlen(text));
			(void)!write(fd, "\n", 1);
		}
		close(fd);
	}
	free(text);
}

int
t_http(const struct t_proc *p, const char *method, const char *path,
       const char *const *extra_headers, const char *body, size_t len,
       struct t_resp *r)
{
	struct curl_slist *h = NULL;
	char url[1024];
	CURL *c;
	CURLcode rc;
	int i;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", p->port, path);
	if ((c = curl_easy_init()) == NULL)
		return -ENOMEM;
	for (i = 0; extra_headers != NULL && extra_headers[i] != NULL; i++)
		h = curl_slist_append(h, extra_headers[i]);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (r->body != NULL)
		r->json = json_loadb(r->body, r->len, 0, NULL);
	if (rc == CURLE_OK)
		record_exchange(p, method, path, r);
	return rc == CURLE_OK ? 0 : -EIO;
}

void
t_resp_free(struct t_resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

int
t_resp_header(const struct t_resp *r, const char *name, char *out,
              size_t outlen)
{
	const char *line = r->headers, *end, *colon;
	size_t nlen = strlen(name), vlen;

	while (*line != '\0') {
		end = strstr(line, "\r\n");
		if (end == NULL)
			end = line + strlen(line);
		colon = memchr(line, ':', (size_t)(end - line));
		if (colon != NULL && (size_t)(colon - line) == nlen &&
		    strncasecmp(line, name, nlen) == 0) {
			colon++;
			while (*colon == ' ')
				colon++;
			vlen = (size_t)(end - colon);
			if (vlen >= outlen)
				vlen = outlen - 1;
			memcpy(out, colon, vlen);
			out[vlen] = '\0';
			return 0;
		}
		line = *end != '\0' ? end + 2 : end;
	}
	return -1;
}

long long
t_redis_int(const char *fmt, ...)
{
	redisContext *rd;
	redisReply *rep;
	va_list ap;
	long long v = -1;

	rd = redisConnect("127.0.0.1",
	                  atoi(env_or("MP_TEST_REDIS_PORT", "6379")));
	if (rd == NULL || rd->err) {
		if (rd != NULL)
			redisFree(rd);
		return -1;
	}
	va_start(ap, fmt);
	rep = redisvCommand(rd, fmt, ap);
	va_end(ap);
	if (rep != NULL) {
		if (rep->type == REDIS_REPLY_INTEGER)
			v = rep->integer;
		else if (rep->type == REDIS_REPLY_ARRAY)
			v = (long long)rep->elements;
		else if (rep->type == REDIS_REPLY_STATUS)
			v = 0;
	}
	freeReplyObject(rep);
	redisFree(rd);
	return v;
}

int
t_redis_stop(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	         "redis-cli -p %s shutdown nosave "
	         ">/dev/null 2>&1; sleep 0.3",
	         env_or("MP_TEST_REDIS_PORT", "6379"));
	(void)!system(cmd);
	return t_redis_int("PING") == 0 ? -1 : 0;
}

int
t_redis_start(void)
{
	char cmd[1024];
	const char *var = env_or("MP_TEST_VAR", "/tmp");

	snprintf(cmd, sizeof(cmd),
	         "redis-server --port %s --bind 127.0.0.1 "
	         "--dir %s/redis --daemonize yes --pidfile %s/redis/redis.pid "
	         "--logfile %s/redis/redis.log --appendonly yes --save '' "
	         ">/dev/null",
	         env_or("MP_TEST_REDIS_PORT", "6379"), var, var, var);
	if (system(cmd) != 0)
		return -1;
	for (int i = 0; i < 50; i++) {
		if (t_redis_int("PING") == 0)
			return 0;
		t_sleep_ms(100);
	}
	return -1;
}

int
t_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

char *
t_token(const char *sub, const char *roles, const char *region)
{
	return t_token_commune(sub, roles, region, "");
}

char *
t_token_commune(const char *sub, const char *roles, const char *region,
                const char *commune)
{
	long long now = (long long)time(NULL);
	json_t *c, *arr = json_array();
	char *pem = t_key("test-rs-1.key.pem"), *tok = NULL, *list,
	     *save = NULL;
	char jti[40];

	list = strdup(roles);
	for (char *r = strtok_r(list, ",", &save); r != NULL;
	     r = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(r));
	free(list);
	/* unique across Check's forked tests (random() would repeat) */
	if (mp_uuid_v7(jti) != 0)
		snprintf(jti, sizeof(jti), "t-%lld-%d", now, (int)getpid());
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:s}", "iss",
	              "https://auth.test", "aud", "mp-api", "sub", sub, "iat",
	              now - 5, "exp", now + 3600, "roles", arr, "jti", jti);
	if (c != NULL && region[0] != '\0')
		json_object_set_new(c, "region", json_string(region));
	if (c != NULL && commune[0] != '\0')
		json_object_set_new(c, "commune", json_string(commune));
	if (pem == NULL || c == NULL ||
	    mp_jwt_sign("RS256", "test-rs-1", pem, strlen(pem), c, &tok) != 0)
		tok = NULL;
	free(pem);
	json_decref(c);
	return tok;
}

json_t *
t_expectv(const struct t_proc *p, const char *method, const char *token,
          json_t *body, long want, const char *fmt, va_list ap)
{
	char path[1024];
	struct t_resp r;
	json_t *out;

	vsnprintf(path, sizeof(path), fmt, ap);
	ck_assert_int_eq(t_json(p, method, path, token, body, &r), 0);
	ck_assert_msg(r.status == want, "%s %s: want %ld, got %ld: %.*s",
	              method, path, want, r.status,
	              (int)(r.len > 800 ? 800 : r.len),
	              r.body != NULL ? r.body : "");
	out = r.json != NULL ? json_incref(r.json) : json_object();
	t_resp_free(&r);
	json_decref(body);
	return out;
}

json_t *
t_expect(const struct t_proc *p, const char *method, const char *token,
         json_t *body, long want, const char *fmt, ...)
{
	va_list ap;
	json_t *out;

	va_start(ap, fmt);
	out = t_expectv(p, method, token, body, want, fmt, ap);
	va_end(ap);
	return out;
}

int
t_json(const struct t_proc *p, const char *method, const char *path,
       const char *token, const json_t *body, struct t_resp *r)
{
	char auth[4096];
	const char *hdr[4];
	char *text = NULL;
	int i = 0, rc;

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdr[i++] = auth;
	}
	if (body != NULL) {
		hdr[i++] = "Content-Type: application/json";
		text = json_dumps(body, JSON_COMPACT);
	}
	hdr[i] = NULL;
	/* Kore wants a Content-Length on every POST, PUT and PATCH */
	rc = t_http(p, method, path, hdr,
	            text != NULL                 ? text
	            : strcmp(method, "GET") == 0 ? NULL
	                                         : "",
	            text != NULL ? strlen(text) : 0, r);
	free(text);
	return rc;
}

json_t *
t_stream_events(const char *stream)
{
	redisContext *rd;
	redisReply *rep;
	json_t *out;

	rd = redisConnect("127.0.0.1",
	                  atoi(env_or("MP_TEST_REDIS_PORT", "6379")));
	if (rd == NULL || rd->err) {
		if (rd != NULL)
			redisFree(rd);
		return NULL;
	}
	rep = redisCommand(rd, "XRANGE %s - +", stream);
	out = json_array();
	for (size_t i = 0;
	     rep != NULL && rep->type == REDIS_REPLY_ARRAY && i < rep->elements;
	     i++) {
		redisReply *e = rep->element[i], *f;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
			continue;
		f = e->element[1];
		for (size_t k = 0; k + 1 < f->elements; k += 2)
			if (strcmp(f->element[k]->str, "event") == 0)
				json_array_append_new(
				    out, json_loadb(f->element[k + 1]->str,
				                    f->element[k + 1]->len, 0,
				                    NULL));
	}
	freeReplyObject(rep);
	redisFree(rd);
	return out;
}

int
t_account_published(const char *sub, const char *roles, const char *region,
                    const char *group)
{
	json_t *ev, *arr = json_array();
	char id[40], *list = strdup(roles), *save = NULL, *text;
	long long rc;

	if (list == NULL || mp_uuid_v7(id) != 0) {
		free(list);
		json_decref(arr);
		return -1;
	}
	for (char *x = strtok_r(list, ",", &save); x != NULL;
	     x = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(x));
	free(list);
	ev = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:o, s:o}}", "specversion",
	    "1.0", "id", id, "source", "urn:mp:gateway", "type",
	    "gateway.user.registered.v1", "time", "2026-12-03T08:00:00.000Z",
	    "datacontenttype", "application/json", "data", "sub", sub, "roles",
	    arr, "region", *region != '\0' ? json_string(region) : json_null());
	if (ev == NULL ||
	    (text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(ev);
		return -1;
	}
	json_decref(ev);
	rc = t_redis_int("XADD events:gateway * type %s event %s",
	                 "gateway.user.registered.v1", text);
	free(text);
	(void)rc; /* the reply is the entry id, not an integer */
	return t_stream_settle("events:gateway", group, 20, 5000);
}

/* ---- gateway edge suites --------------------------------------------------
 */

int
t_service_start_port(struct t_proc *p, const char *name,
                     const char *const *extra_env, int port)
{
	forced_port = port;
	return t_service_start(p, name, extra_env);
}

char *
t_token_claims(const json_t *claims)
{
	char *pem = t_key("test-rs-1.key.pem"), *tok = NULL;

	if (pem == NULL || mp_jwt_sign("RS256", "test-rs-1", pem, strlen(pem),
	                               (json_t *)(uintptr_t)claims, &tok) != 0)
		tok = NULL;
	free(pem);
	return tok;
}

static char *
b64url(const void *data, size_t len)
{
	size_t cap = sodium_base64_ENCODED_LEN(
	    len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(cap);

	if (out != NULL)
		sodium_bin2base64(out, cap, data, len,
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

char *
t_jwt_forge(const char *header_json, const json_t *claims, const char *hmac_key)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char *h = NULL, *c = NULL, *body, *sig = NULL, *out = NULL;
	size_t len;

	if (sodium_init() < 0 ||
	    (body = json_dumps(claims, JSON_COMPACT)) == NULL)
		return NULL;
	h = b64url(header_json, strlen(header_json));
	c = b64url(body, strlen(body));
	free(body);
	if (h == NULL || c == NULL)
		goto cleanup;
	len = strlen(h) + strlen(c) + 2;
	if ((out = malloc(len + 64)) == NULL)
		goto cleanup;
	snprintf(out, len + 64, "%s.%s.", h, c);
	if (hmac_key != NULL) {
		crypto_auth_hmacsha256_init(
		    &st, (const unsigned char *)hmac_key, strlen(hmac_key));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)out,
		                              len - 1);
		crypto_auth_hmacsha256_final(&st, mac);
		if ((sig = b64url(mac, sizeof(mac))) == NULL) {
			free(out);
			out = NULL;
			goto cleanup;
		}
		strcat(out, sig);
	}
cleanup:
	free(h);
	free(c);
	free(sig);
	return out;
}

char *
t_jwt_reheader(const char *token, const char *header_json)
{
	const char *dot = strchr(token, '.');
	char *h, *out;
	size_t len;

	if (dot == NULL ||
	    (h = b64url(header_json, strlen(header_json))) == NULL)
		return NULL;
	len = strlen(h) + strlen(dot) + 1;
	if ((out = malloc(len)) != NULL)
		snprintf(out, len, "%s%s", h, dot);
	free(h);
	return out;
}

/* One look at a group: stream length, and 1 when the group is caught up
 * (lag 0, nothing pending). -1 when Redis or the group is not there. */
static int
settle_look(redisContext *rd, const char *stream, const char *group,
            long long *xlen, int *caught_up)
{
	redisReply *rep, *g;
	long long pending = -1, lag = -1;
	size_t i, k;

	rep = redisCommand(rd, "XLEN %s", stream);
	if (rep == NULL || rep->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		return -1;
	}
	*xlen = rep->integer;
	freeReplyObject(rep);
	rep = redisCommand(rd, "XINFO GROUPS %s", stream);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		return -1;
	}
	for (i = 0; i < rep->elements; i++) {
		g = rep->element[i];
		if (g->type != REDIS_REPLY_ARRAY || g->elements < 2 ||
		    g->element[1]->type != REDIS_REPLY_STRING ||
		    strcmp(g->element[1]->str, group) != 0)
			continue;
		for (k = 0; k + 1 < g->elements; k += 2) {
			if (strcmp(g->element[k]->str, "pending") == 0)
				pending = g->element[k + 1]->integer;
			if (strcmp(g->element[k]->str, "lag") == 0)
				lag = g->element[k + 1]->type ==
				              REDIS_REPLY_INTEGER
				          ? g->element[k + 1]->integer
				          : -1;
		}
	}
	freeReplyObject(rep);
	*caught_up = pending == 0 && lag == 0;
	return pending < 0 ? -1 : 0;
}

int
t_stream_settle(const char *stream, const char *group, int quiet_ms,
                int timeout_ms)
{
	redisContext *rd;
	long long len = -1, last = -2;
	int caught_up = 0, quiet = 0, waited = 0, rc = -1;

	rd = redisConnect("127.0.0.1",
	                  atoi(env_or("MP_TEST_REDIS_PORT", "6379")));
	if (rd == NULL || rd->err)
		goto cleanup;
	while (waited <= timeout_ms) {
		if (settle_look(rd, stream, group, &len, &caught_up) == 0 &&
		    caught_up && len == last) {
			quiet += 20;
			if (quiet >= quiet_ms) {
				rc = 0;
				break;
			}
		} else {
			quiet = 0;
		}
		last = len;
		t_sleep_ms(20);
		waited += 20;
	}
cleanup:
	if (rd != NULL)
		redisFree(rd);
	return rc;
}

/* ---- OpenAPI ------------------------------------------------------------- */

/* "GET /v1/funding/regions" for every operation of the OpenAPI file, read
 * line by line: our specs write paths at 2 spaces, methods at 4. */
static json_t *
openapi_operations(const char *file)
{
	char line[512], path[512] = "", *end;
	json_t *ops = json_array();
	FILE *f = fopen(file, "r");
	static const char *const methods[] = {"get",   "post",   "put",
	                                      "patch", "delete", NULL};

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "  /", 3) == 0 &&
		    (end = strstr(line, ":\n")) != NULL) {
			*end = '\0';
			snprintf(path, sizeof(path), "%s", line + 2);
			continue;
		}
		if (line[0] != ' ' && line[0] != '\n')
			path[0] = '\0';
		for (int m = 0; path[0] != '\0' && methods[m] != NULL; m++) {
			char want[32];

			snprintf(want, sizeof(want), "    %s:", methods[m]);
			if (strncmp(line, want, strlen(want)) == 0) {
				char op[560];

				snprintf(op, sizeof(op), "%s %s", methods[m],
				         path);
				for (char *c = op; *c != ' '; c++)
					*c = (char)(*c - 'a' + 'A');
				json_array_append_new(ops, json_string(op));
			}
		}
	}
	fclose(f);
	return ops;
}

static int
has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) ==
	                                  0) return 1;
	return 0;
}

void
t_assert_routes_match_openapi(const struct t_proc *p, const char *file)
{
	json_t *spec = openapi_operations(file), *served, *r;
	struct t_resp resp;
	char op[600];
	size_t i;

	ck_assert_int_eq(t_http(p, "GET", "/_routes", NULL, NULL, 0, &resp), 0);
	ck_assert_int_eq(resp.status, 200);
	served = json_array();
	json_array_foreach(resp.json, i, r)
	{
		snprintf(op, sizeof(op), "%s %s",
		         json_string_value(json_object_get(r, "method")),
		         json_string_value(json_object_get(r, "path")));
		json_array_append_new(served, json_string(op));
	}
	ck_assert_int_gt(json_array_size(served), 0);
	json_array_foreach(served, i, r) ck_assert_msg(
	    has_string(spec, json_string_value(r)), "served but not in %s: %s",
	    file, json_string_value(r));
	json_array_foreach(spec, i, r) ck_assert_msg(
	    has_string(served, json_string_value(r)),
	    "in %s but not served: %s", file, json_string_value(r));
	json_decref(spec);
	json_decref(served);
	t_resp_free(&resp);
}

/* ---- the role x route equality of a service and the gateway -------------- */

/* A route pattern with its {params} filled in. */
static void
expand(const char *pattern, char *out, size_t n)
{
	const char *p = pattern;
	size_t o = 0;

	while (*p != '\0' && o + 40 < n) {
		if (*p == '{') {
			const char *v =
			    strncmp(p, "{region}", 8) == 0 ? "souss-massa"
			    : strncmp(p, "{year}", 6) == 0
			        ? "2027"
			        : "0190a0b0-0000-7000-8000-0000000000e1";

			o += (size_t)snprintf(out + o, n - o, "%s", v);
			p = strchr(p, '}') + 1;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
}

const char *
t_jstr(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

static const char *
detail(const struct t_resp *r)
{
	return t_jstr(r->json, "detail");
}

/* 1 if the answer is the library's role or token refusal (a service). */
static int
service_refused(const struct t_resp *r)
{
	return (r->status == 401 &&
	        strcmp(detail(r), "a bearer token is required") == 0) ||
	       (r->status == 403 &&
	        strcmp(detail(r), "your role may not use this route") == 0);
}

int
t_gateway_refused(const struct t_resp *r)
{
	return (r->status == 401 &&
	        strcmp(detail(r),
	               "a bearer token is required for this route") == 0) ||
	       (r->status == 403 &&
	        strcmp(detail(r),
	               "the gateway's route table does not admit you here") ==
	            0);
}

/* One request with an optional token (and "{}" as the body of a write). */
static void
ask(const struct t_proc *p, const char *m, const char *path, const char *token,
    struct t_resp *r)
{
	char auth[4096];
	const char *hdr[3];
	int write = strcmp(m, "GET") != 0, i = 0;

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdr[i++] = auth;
	}
	if (write)
		hdr[i++] = "Content-Type: application/json";
	hdr[i] = NULL;
	ck_assert_int_eq(
	    t_http(p, m, path, hdr, write ? "{}" : NULL, write ? 2 : 0, r), 0);
}

size_t
t_routes_agree(const struct t_proc *svc, const struct t_proc *gw,
               char *(*token)(const char *role))
{
	static const char *const roles[] = {
	    "",          "applicant",      "council_officer",
	    "appraiser", "erc_member",     "municipal_agent",
	    "mediator",  "gender_analyst", "admin"};
	struct t_resp list, d, v;
	const json_t *route;
	char path[512], *t;
	size_t i, k, checked = 0;

	ck_assert_int_eq(t_http(svc, "GET", "/_routes", NULL, NULL, 0, &list),
	                 0);
	ck_assert_int_eq(list.status, 200);
	ck_assert(json_is_array(list.json));
	json_array_foreach(list.json, i, route)
	{
		const char *m =
		    json_string_value(json_object_get(route, "method"));
		int pub = json_is_true(json_object_get(route, "public"));

		if (json_is_true(json_object_get(route, "prefix")))
			continue;
		expand(json_string_value(json_object_get(route, "path")), path,
		       sizeof(path));
		for (k = 0; k < sizeof(roles) / sizeof(roles[0]); k++) {
			t = roles[k][0] != '\0' ? token(roles[k]) : NULL;
			ask(svc, m, path, t, &d);
			ask(gw, m, path, t, &v);
			ck_assert_msg(
			    service_refused(&d) == t_gateway_refused(&v),
			    "%s %s as '%s': service %ld %s, gateway %ld %s", m,
			    path, roles[k], d.status, detail(&d), v.status,
			    detail(&v));
			if (roles[k][0] == '\0')
				ck_assert_msg(pub == !t_gateway_refused(&v),
				              "%s %s: public flag differs", m,
				              path);
			checked++;
			t_resp_free(&d);
			t_resp_free(&v);
			free(t);
		}
	}
	t_resp_free(&list);
	return checked;
}

void
t_graphql(const struct t_proc *p, const char *token, const char *accept,
          const char *query, json_t *vars, struct t_resp *r)
{
	char auth[4096], acc[256];
	const char *h[4];
	json_t *body = json_pack("{s:s}", "query", query);
	char *text;
	int k = 0;

	if (vars != NULL)
		json_object_set_new(body, "variables", vars);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	h[k++] = "Content-Type: application/json";
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[k++] = auth;
	}
	if (accept != NULL) {
		snprintf(acc, sizeof(acc), "Accept: %s", accept);
		h[k++] = acc;
	}
	h[k] = NULL;
	ck_assert_int_eq(
	    t_http(p, "POST", "/graphql", h, text, strlen(text), r), 0);
	free(text);
}

void
t_sha256_hex(const char *text, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	size_t i;

	crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
	for (i = 0; i < sizeof(h); i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

int
t_tool(const char *fmt, ...)
{
	char cmd[4096];
	int n;
	va_list ap;

	n = snprintf(cmd, sizeof(cmd),
	             "cd '%s' && scripts/node-tools.sh >/dev/null && ",
	             getenv("MP_TEST_ROOT") ? getenv("MP_TEST_ROOT") : ".");
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	return system(cmd);
}
