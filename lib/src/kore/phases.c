/*
 * Where a request's time goes, for benchmarks: the writer of
 * MP_BENCH_PHASES (mp/phases.h says what is recorded and how a reader
 * finds it).
 *
 * A record lives in the request's context from its start to its end and
 * is copied into this worker's mapped ring when the request is freed. The
 * worker's run_delay comes from /proc/thread-self/schedstat, kept open:
 * two system calls (lseek, read) at each of the four points, about 1 to 2
 * microseconds each, paid only when the variable is set. Off, nothing is
 * opened or mapped and each hook tests ctx->phase.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "mp/log.h"
#include "mp/phases.h"
#include "mp/runtime.h"
#include "mp/service.h"
#include "mp/util.h"

static struct mp_phase_file *ring;
static struct mp_phase_rec *slots;
static size_t ring_bytes;
static int schedstat_fd = -1;

/* The worker's time runnable but waiting for a CPU so far (ns), or 0. */
static uint64_t
run_delay_ns(void)
{
	char buf[96];
	unsigned long long run, wait;
	ssize_t n;

	if (schedstat_fd < 0 || lseek(schedstat_fd, 0, SEEK_SET) != 0 ||
	    (n = read(schedstat_fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return 0;
	return (uint64_t)wait;
}

void
mp_phases_worker_start(void)
{
	const char *dir = getenv("MP_BENCH_PHASES");
	char path[512];
	void *map;
	int fd;

	if (dir == NULL || dir[0] == '\0')
		return;
	ring_bytes = sizeof(*ring) +
	             (size_t)MP_PHASES_SLOTS * sizeof(struct mp_phase_rec);
	snprintf(path, sizeof(path), "%s/phases-%d.bin", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	/* sized by writing its last byte (ftruncate is not in Kore's
	 * seccomp filter); the rest stays a hole until written */
	if (fd < 0 || lseek(fd, (off_t)ring_bytes - 1, SEEK_SET) < 0 ||
	    write(fd, "", 1) != 1) {
		mp_log(MP_LOG_WARN, "phases", "cannot create %s: %s", path,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	map = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		mp_log(MP_LOG_WARN, "phases", "cannot map %s: %s", path,
		       strerror(errno));
		return;
	}
	ring = map;
	ring->magic = MP_PHASES_MAGIC;
	ring->slots = MP_PHASES_SLOTS;
	ring->rec_size = sizeof(struct mp_phase_rec);
	ring->count = 0;
	slots = (struct mp_phase_rec *)(ring + 1);
	schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY);
	mp_log(MP_LOG_INFO, "phases", "recording request phases in %s", path);
}

void
mp_phases_worker_stop(void)
{
	if (ring != NULL)
		munmap(ring, ring_bytes);
	ring = NULL;
	slots = NULL;
	if (schedstat_fd >= 0)
		close(schedstat_fd);
	schedstat_fd = -1;
}

void
mp_phase_begin(struct mp_ctx *ctx)
{
	if (ring == NULL)
		return;
	ctx->phase = calloc(1, sizeof(*ctx->phase));
	if (ctx->phase == NULL)
		return;
	ctx->phase->t[MP_PH_START] = mp_mono_ns();
	ctx->phase->rd[MP_RD_START] = run_delay_ns();
}

void
mp_phase_mark(struct mp_ctx *ctx, int which)
{
	struct mp_phase_rec *p = ctx->phase;

	if (p == NULL || which <= MP_PH_START || which >= MP_PH_END ||
	    p->t[which] != 0)
		return;
	/* the phases of the first statement only: a later one's grant
	 * after an earlier one's ready would read as negative waits */
	if (which > MP_PH_SENT && p->t[MP_PH_SENT] == 0)
		return;
	if (which == MP_PH_RESUMED && p->t[MP_PH_READY] == 0)
		return;
	p->t[which] = mp_mono_ns();
	if (which == MP_PH_SENT)
		p->rd[MP_RD_SENT] = run_delay_ns();
	else if (which == MP_PH_READY)
		p->rd[MP_RD_READY] = run_delay_ns();
}

void
mp_phase_read(struct mp_ctx *ctx, int complete)
{
	struct mp_phase_rec *p = ctx->phase;

	if (p == NULL || p->t[MP_PH_SENT] == 0 || p->t[MP_PH_READY] != 0)
		return;
	p->reads++;
	if (p->t[MP_PH_FIRST] == 0)
		p->t[MP_PH_FIRST] = mp_mono_ns();
	if (complete)
		mp_phase_mark(ctx, MP_PH_READY);
}

void
mp_phase_end(struct mp_ctx *ctx)
{
	struct mp_phase_rec *p = ctx->phase;
	uint64_t n;

	if (p == NULL)
		return;
	ctx->phase = NULL;
	if (ring != NULL && p->t[MP_PH_SENT] != 0) {
		p->t[MP_PH_END] = mp_mono_ns();
		p->rd[MP_RD_END] = run_delay_ns();
		p->route =
		    ctx->route_idx >= 0 ? (uint16_t)ctx->route_idx : UINT16_MAX;
		p->status = (uint16_t)ctx->req->status;
		n = ring->count;
		slots[n % MP_PHASES_SLOTS] = *p;
		__atomic_store_n(&ring->count, n + 1, __ATOMIC_RELEASE);
	}
	free(p);
}
