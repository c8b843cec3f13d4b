/*
 * Where a request's time goes, for benchmarks (MP_BENCH_PHASES=DIR).
 *
 * When the variable names a directory, each worker maps a file
 * DIR/phases-PID.bin and writes one record per request that ran a
 * statement: the monotonic time of each phase of its first statement and
 * the worker's own time runnable but waiting for a CPU (its schedstat
 * run_delay) at four of them. The file is a ring: a header, then
 * MP_PHASES_SLOTS records; record n is at slot n % MP_PHASES_SLOTS, and
 * the header's `count` (written after the record) says how many were
 * written since the start. A reader takes the counts before and after a
 * load and reads the records in between (bench/phases/phases.c).
 *
 * No personal data: times, a route index, counts and the status only.
 * Unset (the default), nothing is mapped and each hook is one test of a
 * flag.
 */
#ifndef MP_PHASES_H
#define MP_PHASES_H

#include <stdint.h>

#define MP_PHASES_MAGIC 0x3153485050504dULL /* "MPPPHS1" */
#define MP_PHASES_SLOTS (1u << 18)

enum mp_phase {
	MP_PH_START, /* the handler first saw the request (headers read) */
	MP_PH_GRANT, /* a pool connection was given (or promised) to it */
	MP_PH_SENT,  /* its statement was written to PostgreSQL */
	MP_PH_FIRST, /* the worker's loop read the first bytes of the result */
	MP_PH_READY, /* ... and the whole result (the request is woken) */
	MP_PH_RESUMED, /* the woken request ran again (handler continues) */
	MP_PH_END,     /* the answer was written and the request freed */
	MP_PH_COUNT
};

/* where the worker's run_delay is read: at start, sent, ready and end */
enum { MP_RD_START, MP_RD_SENT, MP_RD_READY, MP_RD_END, MP_RD_COUNT };

struct mp_phase_rec {
	uint64_t t[MP_PH_COUNT];  /* CLOCK_MONOTONIC, ns; 0: not reached */
	uint64_t rd[MP_RD_COUNT]; /* the worker's run_delay then, ns */
	uint16_t route;           /* index in the service's route table */
	uint16_t reads;           /* times the loop read part of the result */
	uint16_t queued; /* requests waiting for a connection at start */
	uint16_t held;   /* connections held or promised at start */
	uint16_t status; /* HTTP status of the answer */
	uint16_t pad[3];
};

struct mp_phase_file {
	uint64_t magic;
	uint64_t slots;
	uint64_t rec_size;
	volatile uint64_t count; /* records written since the start */
};

#endif
