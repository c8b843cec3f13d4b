/*
 * argon2id off the event loop (contract in pwhash.h).
 *
 * Why threads: a verification costs 50-100 ms of CPU, which would stall
 * every connection of the worker (and, through the accept lock, new ones).
 * Each worker runs a few hashing threads of its own (MP_PWHASH_THREADS,
 * default 2) fed from one queue; a finished job goes to a done list and
 * an eventfd on Kore's loop wakes the worker, which completes the jobs on
 * its own thread.
 *
 * Why not Kore's tasks (which this file used before): Debian's Kore 4.1
 * task thread waits with `if (queue empty) pthread_cond_wait` and
 * kore_task_run() signals the condition after unlocking its mutex. A
 * thread that finishes its task, takes the next one queued in that window,
 * runs it and goes back to sleep is then woken by the late signal with an
 * empty queue and dereferences a NULL task (kore+0x277e7, "segfault at
 * 78"): the worker dies with every request it holds, a few times an hour
 * under a load of token requests. Kore's task threads also outlive the
 * worker's teardown, and Kore unloads this module (and libsodium with it)
 * right after: a hash still running then jumps into unmapped code. Ours
 * wait in a loop, and worker_stop joins them before the module goes.
 *
 * Ownership: the job points back at the request context; the request's
 * user_free detaches it (ctx = NULL) and the completion, always on the
 * loop thread, either wakes the request or, for a detached job, frees it.
 * Only the loop thread touches `ctx` and `done`; a hashing thread reads the
 * inputs set before the job was queued and writes `result`/`hash`, both
 * published to the loop by the pool's mutex.
 */
#include <sys/eventfd.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "mp/config.h"
#include "mp/log.h"
#include "mp/service.h"

#include "identity/pwhash.h"

#define THREADS_DEFAULT 2
#define THREADS_MAX 16

struct gw_pwjob {
	struct gw_pwjob *next; /* in the queue or the done list */
	enum gw_pwhash_op op;
	char *secret; /* copy, wiped on free */
	size_t secret_len;
	char hash[GW_PWHASH_STRBYTES]; /* VERIFY: input; HASH: output */
	unsigned long long opslimit;
	size_t memlimit;
	int result;
	int done;
	struct mp_ctx *ctx; /* NULL once the request is gone */
	mp_handler next_step;
};

/* This worker's hashing threads. The lists are under mu; the event and
 * `running` belong to the loop thread. */
static struct {
	struct kore_event evt; /* first member: Kore casts to it */
	int efd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct gw_pwjob *qhead, *qtail; /* waiting for a thread, FIFO */
	struct gw_pwjob *done;          /* finished, newest first */
	int stopping;
	int running; /* threads started */
	pthread_t threads[THREADS_MAX];
} pool = {
    .efd = -1, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void job_run(struct gw_pwjob *job);
static void job_done(struct gw_pwjob *job);
static void job_free(struct gw_pwjob *job);
static int job_resume(struct mp_ctx *ctx);
static void *hasher_main(void *arg);
static void pool_notified(void *arg, int error);
static int pool_worker_start(void);
static void pool_worker_stop(void);

const struct mp_extension gw_pwhash_extension = {
    .name = "pwhash",
    .worker_init = pool_worker_start,
    .worker_stop = pool_worker_stop,
};

static int nthreads = THREADS_DEFAULT;
static unsigned long long opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
static char dummy[GW_PWHASH_STRBYTES];

int
gw_pwhash_parent_init(void)
{
	const char *fast = getenv("MP_PWHASH_FAST");
	unsigned char rnd[32];
	char secret[65], err[256];
	int64_t threads = THREADS_DEFAULT;
	const struct mp_cfg_var vars[] = {
	    {"MP_PWHASH_THREADS", MP_CFG_INT, 0, "2", 1, THREADS_MAX, NULL,
	     &threads, 0, "password hashing threads per worker"},
	};

	if (mp_config_load(vars, 1, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	nthreads = (int)threads;
	if (sodium_init() < 0) {
		fprintf(stderr, "gateway: libsodium initialisation failed\n");
		return -1;
	}
	if (fast != NULL && strcmp(fast, "1") == 0) {
		opslimit = crypto_pwhash_OPSLIMIT_MIN;
		memlimit = crypto_pwhash_MEMLIMIT_MIN;
		mp_log(MP_LOG_WARN, "pwhash",
		       "MP_PWHASH_FAST=1: minimal "
		       "argon2id costs (tests only)");
	} else if (fast != NULL && *fast != '\0' && strcmp(fast, "0") != 0) {
		fprintf(stderr, "config: MP_PWHASH_FAST must be 0 or 1\n");
		return -1;
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(secret, sizeof(secret), rnd, sizeof(rnd));
	if (gw_pwhash_str(secret, dummy) != 0) {
		fprintf(stderr, "gateway: cannot compute the dummy hash\n");
		return -1;
	}
	sodium_memzero(rnd, sizeof(rnd));
	sodium_memzero(secret, sizeof(secret));
	return 0;
}

const char *
gw_pwhash_dummy(void)
{
	return dummy;
}

int
gw_pwhash_str(const char *secret, char out[GW_PWHASH_STRBYTES])
{
	if (crypto_pwhash_str(out, secret, strlen(secret), opslimit,
	                      memlimit) != 0)
		return -ENOMEM;
	return 0;
}

/* In a hashing thread. */
static void
job_run(struct gw_pwjob *job)
{
	if (job->op == GW_PWHASH_HASH) {
		if (crypto_pwhash_str(job->hash, job->secret, job->secret_len,
		                      job->opslimit, job->memlimit) != 0)
			job->result = -ENOMEM;
		else
			job->result = 0;
	} else if (strncmp(job->hash, "$argon2id$", 10) != 0) {
		job->result = -EINVAL;
	} else {
		job->result = crypto_pwhash_str_verify(job->hash, job->secret,
		                                       job->secret_len) == 0
		                  ? 0
		                  : -EACCES;
	}
	sodium_memzero(job->secret, job->secret_len);
}

/*
 * A hashing thread: take the oldest queued job, run it, put it on the
 * done list and wake the loop. The wait is a loop on the queue's state,
 * so a wake-up that finds nothing to do (a spurious one, or a signal
 * another thread's job already answered) waits again.
 */
static void *
hasher_main(void *arg)
{
	struct gw_pwjob *job;
	const uint64_t one = 1;

	(void)arg;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		while (pool.qhead == NULL && !pool.stopping)
			pthread_cond_wait(&pool.cv, &pool.mu);
		if (pool.stopping)
			break;
		job = pool.qhead;
		pool.qhead = job->next;
		if (pool.qhead == NULL)
			pool.qtail = NULL;
		pthread_mutex_unlock(&pool.mu);

		job_run(job);

		pthread_mutex_lock(&pool.mu);
		job->next = pool.done;
		pool.done = job;
		/* an eventfd write only fails when the counter would
		 * overflow, and then the loop has a wake-up pending anyway */
		(void)!write(pool.efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&pool.mu);
	return NULL;
}

/* On the loop thread: the eventfd is readable, complete the finished
 * jobs in the order they finished. */
static void
pool_notified(void *arg, int error)
{
	struct gw_pwjob *list, *rev = NULL, *job;
	uint64_t n;

	(void)arg;
	(void)error;
	pool.evt.flags &= ~KORE_EVENT_READ;
	/* edge-triggered: one read resets the counter; a job finished after
	 * it writes again and raises a new edge */
	(void)!read(pool.efd, &n, sizeof(n));
	pthread_mutex_lock(&pool.mu);
	list = pool.done;
	pool.done = NULL;
	pthread_mutex_unlock(&pool.mu);
	while (list != NULL) {
		job = list;
		list = job->next;
		job->next = rev;
		rev = job;
	}
	while (rev != NULL) {
		job = rev;
		rev = job->next;
		job->next = NULL;
		job_done(job);
	}
}

/* In each worker: the eventfd on Kore's loop, then the threads. */
static int
pool_worker_start(void)
{
	sigset_t all, old;
	int i;

	pool.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pool.efd == -1)
		return -1;
	pool.evt.type = KORE_TYPE_PYSOCKET + 101; /* ours; Kore ignores it */
	pool.evt.flags = 0;
	pool.evt.handle = pool_notified;
	kore_platform_schedule_read(pool.efd, &pool);
	pool.stopping = 0;
	/* the threads block every signal: a SIGTERM is for the loop thread,
	 * whose epoll_wait it interrupts (they inherit the mask) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&pool.threads[i], NULL, hasher_main, NULL) !=
		    0)
			break;
		pool.running++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pool.running == 0) {
		mp_log(MP_LOG_ERROR, "pwhash", "cannot start a hashing thread");
		return -1;
	}
	return 0;
}

/*
 * At the worker's teardown, before Kore unloads this module: stop and
 * join the threads (each finishes the hash it is computing). Jobs still
 * queued are never run; their secrets are wiped. The requests that own
 * them are not completed any more, so the jobs stay allocated until the
 * process exits, a moment later.
 */
static void
pool_worker_stop(void)
{
	struct gw_pwjob *job;
	int i;

	pthread_mutex_lock(&pool.mu);
	pool.stopping = 1;
	pthread_cond_broadcast(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
	for (i = 0; i < pool.running; i++)
		pthread_join(pool.threads[i], NULL);
	pool.running = 0;
	for (job = pool.qhead; job != NULL; job = job->next)
		sodium_memzero(job->secret, job->secret_len);
	if (pool.efd != -1) {
		close(pool.efd);
		pool.efd = -1;
	}
}

/* On the loop thread, once the job finished. */
static void
job_done(struct gw_pwjob *job)
{
	job->done = 1;
	if (job->ctx == NULL) {
		job_free(job);
		return;
	}
	gw_pwhash_wake(job->ctx, job->next_step);
}

/* Runs as ctx->resume: from here on, re-entries belong to the database
 * chain again. */
static int
job_resume(struct mp_ctx *ctx)
{
	ctx->resume = NULL;
	return ctx->db_next(ctx);
}

void
gw_pwhash_wake(struct mp_ctx *ctx, mp_handler next)
{
	/* No statement is in flight while a request waits on its own I/O,
	 * so the chain's next-step slot is free to carry `next`. */
	ctx->db_next = next;
	ctx->resume = job_resume;
	http_request_wakeup(ctx->req);
}

static void
job_free(struct gw_pwjob *job)
{
	if (job->secret != NULL) {
		sodium_memzero(job->secret, job->secret_len);
		free(job->secret);
	}
	sodium_memzero(job, sizeof(*job));
	free(job);
}

int
gw_pwhash_start(struct mp_ctx *ctx, enum gw_pwhash_op op, const char *secret,
                const char *hash, mp_handler next, struct gw_pwjob **jobp)
{
	struct gw_pwjob *job;

	*jobp = NULL;
	if (pool.running == 0)
		return mp_reply_problem(ctx, 503, "unavailable",
		                        "password checks are not available");
	if ((job = calloc(1, sizeof(*job))) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	job->op = op;
	job->secret_len = strlen(secret);
	if ((job->secret = malloc(job->secret_len + 1)) == NULL) {
		free(job);
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	}
	memcpy(job->secret, secret, job->secret_len + 1);
	if (op == GW_PWHASH_VERIFY)
		snprintf(job->hash, sizeof(job->hash), "%s", hash);
	job->opslimit = opslimit;
	job->memlimit = memlimit;
	job->ctx = ctx;
	job->next_step = next;
	job->result = -EINVAL;
	*jobp = job;
	http_request_sleep(ctx->req);
	pthread_mutex_lock(&pool.mu);
	if (pool.qtail != NULL)
		pool.qtail->next = job;
	else
		pool.qhead = job;
	pool.qtail = job;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
	return MP_WAIT;
}

int
gw_pwhash_result(const struct gw_pwjob *job, char hash_out[GW_PWHASH_STRBYTES])
{
	if (job == NULL || !job->done)
		return -EINVAL;
	if (job->result == 0 && job->op == GW_PWHASH_HASH && hash_out != NULL)
		memcpy(hash_out, job->hash, GW_PWHASH_STRBYTES);
	return job->result;
}

void
gw_pwhash_release(struct gw_pwjob *job)
{
	if (job == NULL)
		return;
	if (!job->done) {
		job->ctx = NULL; /* job_done frees it */
		return;
	}
	job_free(job);
}
