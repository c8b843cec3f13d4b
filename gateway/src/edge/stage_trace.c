/*
 * Stage "trace": W3C Trace Context. A valid incoming traceparent keeps its
 * trace id and flags, with a span id of the gateway's own (its hop);
 * otherwise a new trace starts. The result goes upstream (e->traceparent)
 * and into the request's log lines (ctx->traceparent).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mp/service.h"
#include "mp/util.h"

#include "edge/pipeline.h"
#include "edge/stages.h"

static int trace_access(struct gw_edge *e, void *st);
static int hex_ok(const char *s, size_t n, int nonzero);
static int traceparent_valid(const char *in);

const struct gw_stage gw_stage_trace = {
    .name = "trace",
    .on = GW_ON_API,
    .access = trace_access,
};

/* 1 if s[0..n-1] are lowercase hex digits, not all zero when nonzero
 * is asked. */
static int
hex_ok(const char *s, size_t n, int nonzero)
{
	size_t i;
	int any = 0;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
		if (s[i] != '0')
			any = 1;
	}
	return !nonzero || any;
}

/* version "-" trace-id "-" parent-id "-" flags (W3C Trace Context 3.2):
 * version 00 is exactly 55 bytes; a later version may append "-..." and
 * is read as 00; version ff is invalid. */
static int
traceparent_valid(const char *in)
{
	size_t len;

	if (in == NULL || (len = strlen(in)) < 55)
		return 0;
	if (!hex_ok(in, 2, 0) || strncmp(in, "ff", 2) == 0 || in[2] != '-' ||
	    !hex_ok(in + 3, 32, 1) || in[35] != '-' ||
	    !hex_ok(in + 36, 16, 1) || in[52] != '-' || !hex_ok(in + 53, 2, 0))
		return 0;
	if (strncmp(in, "00", 2) == 0)
		return len == 55;
	return len == 55 || in[55] == '-';
}

static int
trace_access(struct gw_edge *e, void *st)
{
	struct mp_ctx *ctx = e->ctx;
	const char *in = mp_header(ctx, "traceparent");
	unsigned char trace[16], span[8];
	/* "00-" trace[3..34] "-" span[36..51] "-" flags[53..54] */
	char *tp = e->traceparent;

	(void)st;
	memcpy(tp, "00-", 3);
	if (traceparent_valid(in)) {
		memcpy(tp + 3, in + 3, 32);
		tp[53] = in[53];
		tp[54] = in[54];
	} else {
		(void)mp_random_buf(trace, sizeof(trace));
		sodium_bin2hex(tp + 3, 33, trace, sizeof(trace));
		tp[53] = tp[54] = '0';
	}
	tp[35] = '-';
	(void)mp_random_buf(span, sizeof(span));
	sodium_bin2hex(tp + 36, 17, span, sizeof(span));
	tp[52] = '-';
	tp[55] = '\0';
	memcpy(ctx->traceparent, tp, 56);
	return GW_NEXT;
}
