/*
 * argon2id off the event loop (contract in pwhash.h).
 *
 * Why Kore tasks: a verification costs 50-100 ms of CPU, which would stall
 * every connection of the worker (and, through the accept lock, new ones).
 * Debian's Kore is built with KORE_USE_TASKS: a small pool of threads per
 * worker (task_threads, default 2) and a socketpair per task that Kore
 * already watches on the loop. That is the whole mechanism we would
 * otherwise write by hand (thread, queue, eventfd registered on the loop),
 * already covered by Kore's seccomp filter for tasks.
 *
 * Why a callback and not kore_task_bind_request(): a request bound to an
 * unfinished task is not freed by Kore when its client goes away (it runs
 * the request's cleanup and returns, then frees it again later), and the
 * task struct's owner is left implicit. Instead the job points back at the
 * request context; the request's user_free detaches it (ctx = NULL) and the
 * completion callback, always on the loop thread, either wakes the request
 * or, for a detached job, frees it. Only the loop thread touches `ctx` and
 * `done`; the task thread reads the inputs set before kore_task_run() and
 * writes `result`/`hash`, published by the task's finish (its lock and the
 * socket close).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/tasks.h>

#include "mp/log.h"
#include "mp/service.h"

#include "identity/pwhash.h"

struct gw_pwjob {
	struct kore_task task;
	enum gw_pwhash_op op;
	char *secret; /* copy, wiped on free */
	size_t secret_len;
	char hash[GW_PWHASH_STRBYTES]; /* VERIFY: input; HASH: output */
	unsigned long long opslimit;
	size_t memlimit;
	int result;
	int done;
	int started;
	struct mp_ctx *ctx; /* NULL once the request is gone */
	mp_handler next;
};

static int job_run(struct kore_task *t);
static void job_done(struct kore_task *t);
static void job_free(struct gw_pwjob *job);
static int job_resume(struct mp_ctx *ctx);

static unsigned long long opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
static char dummy[GW_PWHASH_STRBYTES];

int
gw_pwhash_parent_init(void)
{
	const char *fast = getenv("MP_PWHASH_FAST");
	unsigned char rnd[32];
	char secret[65];

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

/* In a task thread. */
static int
job_run(struct kore_task *t)
{
	struct gw_pwjob *job = (struct gw_pwjob *)(void *)t;

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
	return 0;
}

/* On the loop thread, once the task finished. */
static void
job_done(struct kore_task *t)
{
	struct gw_pwjob *job = (struct gw_pwjob *)(void *)t;

	job->done = 1;
	if (job->ctx == NULL) {
		job_free(job);
		return;
	}
	gw_pwhash_wake(job->ctx, job->next);
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
	if (job->started)
		kore_task_destroy(&job->task);
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
	job->next = next;
	job->result = -EINVAL;
	kore_task_create(&job->task, job_run);
	kore_task_bind_callback(&job->task, job_done);
	job->started = 1;
	*jobp = job;
	http_request_sleep(ctx->req);
	kore_task_run(&job->task);
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
