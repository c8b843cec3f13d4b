/*
 * Reader of the request-phase rings the workers write under
 * MP_BENCH_PHASES=DIR (lib/include/mp/phases.h).
 *
 *   phases count DIR        one line per ring: "path count" (a snapshot)
 *   phases report A B [R]   the records written between snapshots A and B
 *                           (files named in B; a file missing in A counts
 *                           from 0), of route index R if given: for each
 *                           phase its p50/p90/p99/p99.9 and mean, and its
 *                           mean among the slowest 1 % of the requests
 *                           (by start -> end): what their time is made of.
 *
 * Exit 0; 2 on bad usage or a file that is not a ring.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mp/phases.h"

#define MAX_FILES 64

struct ring {
	char path[1024];
	const struct mp_phase_file *hdr;
	const struct mp_phase_rec *rec;
	void *map;
	size_t bytes;
};

static int
ring_open(const char *path, struct ring *r)
{
	struct stat st;
	void *map;
	int fd;

	snprintf(r->path, sizeof(r->path), "%s", path);
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0 ||
	    (size_t)st.st_size < sizeof(struct mp_phase_file)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	r->map = map;
	r->hdr = map;
	r->bytes = (size_t)st.st_size;
	if (r->hdr->magic != MP_PHASES_MAGIC ||
	    r->hdr->rec_size != sizeof(struct mp_phase_rec) ||
	    sizeof(*r->hdr) + r->hdr->slots * r->hdr->rec_size > r->bytes) {
		munmap(map, r->bytes);
		return -1;
	}
	r->rec = (const struct mp_phase_rec *)(r->hdr + 1);
	return 0;
}

static int
cmd_count(const char *dir)
{
	struct dirent *e;
	struct ring r;
	char path[1024];
	DIR *d = opendir(dir);

	if (d == NULL)
		return 2;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "phases-", 7) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (ring_open(path, &r) != 0)
			continue;
		printf("%s %llu\n", path, (unsigned long long)r.hdr->count);
		munmap(r.map, r.bytes);
	}
	closedir(d);
	return 0;
}

/* the count of `path` in snapshot file `snap`, 0 when absent */
static unsigned long long
snap_count(const char *snap, const char *path)
{
	char p[1024];
	unsigned long long n;
	FILE *f = fopen(snap, "r");

	if (f == NULL)
		return 0;
	while (fscanf(f, "%1023s %llu", p, &n) == 2) {
		if (strcmp(p, path) == 0) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	return 0;
}

enum {
	M_TOTAL,
	M_ADMIT,
	M_TORUN,
	M_PG,
	M_READ,
	M_ORDER,
	M_ANSWER,
	M_RD_BEFORE,
	M_RD_DB,
	M_RD_AFTER,
	M_COUNT
};

static const char *const m_name[M_COUNT] = {
    "total: handler first runs -> answer written",
    "  waiting for a pool connection (start -> grant)",
    "  promised -> statement sent (worker runs it)",
    "  PostgreSQL: sent -> first bytes read by the loop",
    "  rest of the result read (first -> whole)",
    "  result read -> request runs again",
    "  request runs again -> answer written",
    "worker runnable, waiting for a CPU: start -> sent",
    "  sent -> result read",
    "  result read -> answer written",
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)n + 0.5);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

static void
metrics(const struct mp_phase_rec *p, double *m)
{
	const uint64_t *t = p->t;
	uint64_t first = t[MP_PH_FIRST] != 0 ? t[MP_PH_FIRST] : t[MP_PH_READY];
	uint64_t grant = t[MP_PH_GRANT] != 0 ? t[MP_PH_GRANT] : t[MP_PH_SENT];

	m[M_TOTAL] = (double)(t[MP_PH_END] - t[MP_PH_START]);
	m[M_ADMIT] = (double)(grant - t[MP_PH_START]);
	m[M_TORUN] = (double)(t[MP_PH_SENT] - grant);
	m[M_PG] = (double)(first - t[MP_PH_SENT]);
	m[M_READ] = (double)(t[MP_PH_READY] - first);
	m[M_ORDER] = (double)(t[MP_PH_RESUMED] - t[MP_PH_READY]);
	m[M_ANSWER] = (double)(t[MP_PH_END] - t[MP_PH_RESUMED]);
	m[M_RD_BEFORE] = (double)(p->rd[MP_RD_SENT] - p->rd[MP_RD_START]);
	m[M_RD_DB] = (double)(p->rd[MP_RD_READY] - p->rd[MP_RD_SENT]);
	m[M_RD_AFTER] = (double)(p->rd[MP_RD_END] - p->rd[MP_RD_READY]);
}

static int
cmp_total(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return (x[M_TOTAL] < y[M_TOTAL]) - (x[M_TOTAL] > y[M_TOTAL]);
}

static int
cmd_report(const char *snap0, const char *snap1, int route)
{
	struct ring r;
	char path[1024];
	unsigned long long c0, c1, i, n = 0, cap = 0, reads = 0, skipped = 0;
	double *rows = NULL, *col, s, tail;
	size_t k, j, ntail;
	FILE *f = fopen(snap1, "r");

	if (f == NULL)
		return 2;
	while (fscanf(f, "%1023s %llu", path, &c1) == 2) {
		if (ring_open(path, &r) != 0)
			continue;
		c0 = snap_count(snap0, path);
		if (c1 - c0 > r.hdr->slots) /* overwritten: keep the last */
			c0 = c1 - r.hdr->slots;
		for (i = c0; i < c1; i++) {
			const struct mp_phase_rec *p = &r.rec[i % r.hdr->slots];

			if (route >= 0 && p->route != route)
				continue;
			if (p->t[MP_PH_READY] == 0 ||
			    p->t[MP_PH_RESUMED] == 0) {
				skipped++; /* failed before a result */
				continue;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				rows = realloc(rows,
				               cap * M_COUNT * sizeof(*rows));
				if (rows == NULL)
					return 2;
			}
			metrics(p, &rows[n * M_COUNT]);
			reads += p->reads;
			n++;
		}
		munmap(r.map, r.bytes);
	}
	fclose(f);
	if (n == 0) {
		printf("   phases: no records\n");
		return 0;
	}
	qsort(rows, n, M_COUNT * sizeof(*rows), cmp_total);
	ntail = (size_t)(n / 100) > 0 ? (size_t)(n / 100) : 1;
	col = malloc(n * sizeof(*col));
	if (col == NULL)
		return 2;
	printf("   phases: %llu requests (%llu without a result left out), "
	       "%.2f reads of the socket a result\n",
	       n, skipped, (double)reads / (double)n);
	printf("   %-52s %7s %7s %7s %7s %7s | %s\n", "ms", "p50", "p90", "p99",
	       "p99.9", "mean", "mean of the slowest 1 %");
	for (k = 0; k < M_COUNT; k++) {
		s = 0;
		tail = 0;
		for (j = 0; j < n; j++) {
			col[j] = rows[j * M_COUNT + k] / 1e6;
			s += col[j];
			if (j < ntail)
				tail += col[j];
		}
		qsort(col, n, sizeof(*col), cmp_double);
		printf("   %-52s %7.2f %7.2f %7.2f %7.2f %7.2f | %7.2f\n",
		       m_name[k], pct(col, n, 0.5), pct(col, n, 0.9),
		       pct(col, n, 0.99), pct(col, n, 0.999), s / (double)n,
		       tail / (double)ntail);
	}
	free(col);
	free(rows);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "count") == 0)
		return cmd_count(argv[2]);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "report") == 0)
		return cmd_report(argv[2], argv[3],
		                  argc == 5 ? atoi(argv[4]) : -1);
	fprintf(stderr, "usage: phases count DIR | phases report SNAP0 SNAP1 "
	                "[ROUTE-INDEX]\n");
	return 2;
}
