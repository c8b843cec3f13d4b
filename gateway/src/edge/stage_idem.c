/*
 * Stage "idem": Idempotency-Key on POST and PATCH (idem.c decides; flow
 * in idem.h). In the first round trip, a GET of the key's record; then a
 * replay of the stored answer, 409 while the first request is in flight,
 * 422 for another request under the same key, or a claim (SET NX PX)
 * before the request goes on. The upstream's answer is kept for replays
 * (SET XX EX, 24 h) when it is storable, else the claim is dropped so the
 * write can be retried with the same key.
 *
 * Redis down: an idempotent write is refused with 503: without its record
 * the gateway could forward a retry of a write that already happened.
 *
 * A claim still held when the request is freed means the client went away
 * mid-call: the write may or may not have happened upstream, so the claim
 * stays until it expires (the upstream's time limit and CLAIM_MARGIN_MS): a
 * retry meanwhile is a 409, never a second write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <kore/kore.h>
#include <kore/http.h>

#include "mp/log.h"
#include "mp/runtime.h"
#include "mp/service.h"
#include "mp/util.h"

#include "edge/idem.h"
#include "edge/pipeline.h"
#include "edge/stages.h"
#include "proxy/proxy.h"

#define TTL_S 86400
/* Life of an in-progress claim: the route's upstream call can last its
 * time limit (MP_UPSTREAM_<NAME>_TIMEOUT_MS, 10 s by default; a write is
 * moved to another replica only when the first refused its connection,
 * at once and before any of it was sent: proxy.c retry_elsewhere), and
 * the claim outlives it by this margin. So the key of a gateway that died
 * mid-call comes free 15 s later by default, not after the longest limit any
 * upstream may have. Should the service still be applying the write then (stuck
 * past the gateway's limit), a retry is still applied once: the service keeps
 * the key with the write in one transaction (lib-0004, migrate.c), so of two
 * concurrent attempts one commits and the other fails as a whole, and a
 * later retry gets the first answer back. */
#define CLAIM_MARGIN_MS 5000

struct idem {
	int on, claimed, slot;
	char key[GW_IDEM_REDIS_KEY_MAX];
	char fp[GW_IDEM_FP_LEN + 1];
};

static int idem_parent_init(void);
static int idem_queue(struct gw_edge *e, void *st, struct gw_batch *b);
static int idem_checked(struct gw_edge *e, void *st, const struct gw_batch *b);
static int idem_claimed(struct gw_edge *e, void *st, const struct gw_batch *b);
static int idem_rechecked(struct gw_edge *e, void *st,
                          const struct gw_batch *b);
static void idem_failed(struct gw_edge *e, void *st);
static int idem_response(struct gw_edge *e, void *st, int status);
static int decide_or_reply(struct gw_edge *e, struct idem *s,
                           const struct gw_batch *b, int *proceed);
static int replay(struct gw_edge *e, const struct gw_idem_record *rec);
static int unavailable(struct mp_ctx *ctx);
static int in_progress(struct mp_ctx *ctx);
static void release(struct idem *s);
static void set_cmd(struct gw_cmd *cmd, const struct idem *s, const void *rec,
                    size_t len, const char *cond, const char *unit, int ttl,
                    char *num, size_t numlen);

const struct gw_stage gw_stage_idem = {
    .name = "idem",
    .on = GW_ON_API,
    .state_size = sizeof(struct idem),
    .parent_init = idem_parent_init,
    .queue = idem_queue,
    .checked = idem_checked,
    .failed = idem_failed,
    .response = idem_response,
};

static int m_replay = -1, m_conflict = -1, m_mismatch = -1;
static int m_unavailable = -1;

static int
idem_parent_init(void)
{
	m_replay = mp_metrics_counter_new(
	    "gw_idempotency_total", "outcome=\"replayed\"",
	    "Idempotency-Key requests by outcome", 0);
	m_conflict = mp_metrics_counter_new(
	    "gw_idempotency_total", "outcome=\"in_progress\"",
	    "Idempotency-Key requests by outcome", 0);
	m_mismatch = mp_metrics_counter_new(
	    "gw_idempotency_total", "outcome=\"mismatch\"",
	    "Idempotency-Key requests by outcome", 0);
	m_unavailable = mp_metrics_counter_new(
	    "gw_idempotency_total", "outcome=\"unavailable\"",
	    "Idempotency-Key requests by outcome", 0);
	return 0;
}

/* Parse the header, fingerprint the request, GET the record. */
static int
idem_queue(struct gw_edge *e, void *st, struct gw_batch *b)
{
	struct idem *s = st;
	struct mp_ctx *ctx = e->ctx;
	struct http_request *req = ctx->req;
	const char *h = mp_header(ctx, "idempotency-key"), *subject;
	char key[GW_IDEM_KEY_MAX + 1], *target;
	struct gw_cmd cmd;
	int rc;

	s->slot = -1;
	if (h == NULL || !gw_idem_applies((unsigned)req->method))
		return GW_NEXT;
	if (gw_idem_key_parse(h, key, sizeof(key)) != 0)
		return mp_reply_problem(
		    ctx, 400, "bad-idempotency-key",
		    "Idempotency-Key must be 1 to 255 visible ASCII "
		    "characters");
	if ((target =
	         malloc(strlen(req->path) + 2 +
	                (req->query_string != NULL ? strlen(req->query_string)
	                                           : 0))) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	sprintf(target, "%s%s%s", req->path,
	        req->query_string != NULL ? "?" : "",
	        req->query_string != NULL ? req->query_string : "");
	subject = ctx->principal.authenticated ? ctx->principal.subject : NULL;
	rc = gw_idem_redis_key(subject, key, s->key, sizeof(s->key)) != 0 ||
	     gw_idem_fingerprint((unsigned)req->method, target, subject,
	                         e->body, e->body_len, s->fp) != 0;
	free(target);
	if (rc)
		return mp_reply_problem(
		    ctx, 500, "internal",
		    "the idempotency key could not be computed");
	s->on = 1;
	gw_cmd_init(&cmd, "GET");
	gw_cmd_str(&cmd, s->key);
	s->slot = gw_batch_add(b, &cmd);
	return GW_NEXT;
}

/* The record is read: replay / refuse, or claim the key. */
static int
idem_checked(struct gw_edge *e, void *st, const struct gw_batch *b)
{
	struct idem *s = st;
	struct gw_idem_record rec;
	struct gw_batch *nb;
	struct gw_cmd cmd;
	unsigned char buf[128];
	char px[24];
	size_t blen = 0;
	int proceed = 0, rc;
	int64_t claim_ms;

	if (!s->on)
		return GW_NEXT;
	if ((rc = decide_or_reply(e, s, b, &proceed)) != GW_NEXT || !proceed)
		return MP_DONE; /* answered: refused or replayed */
	memset(&rec, 0, sizeof(rec));
	rec.state = GW_IDEM_IN_PROGRESS;
	memcpy(rec.fingerprint, s->fp, sizeof(rec.fingerprint));
	rec.started_ms = mp_now_ms();
	if (gw_idem_record_encode(&rec, buf, sizeof(buf), &blen) != 0 ||
	    (nb = gw_edge_batch(e)) == NULL)
		return mp_reply_problem(
		    e->ctx, 500, "internal",
		    "the idempotency record could not be made");
	claim_ms = gw_proxy_upstream_timeout_ms(
	               e->route != NULL ? e->route->upstream : NULL) +
	           CLAIM_MARGIN_MS;
	set_cmd(&cmd, s, buf, blen, "NX", "PX", (int)claim_ms, px, sizeof(px));
	s->slot = gw_batch_add(nb, &cmd);
	return gw_edge_wait(e, nb, idem_claimed);
}

/* SET NX answered: go on when the claim is ours; otherwise someone
 * else's record appeared between our GET and SET: read it again. */
static int
idem_claimed(struct gw_edge *e, void *st, const struct gw_batch *b)
{
	struct idem *s = st;
	struct gw_batch *nb;
	struct gw_cmd cmd;
	int t = gw_batch_type(b, s->slot);

	if (t == REDIS_REPLY_STATUS) {
		s->claimed = 1;
		return GW_NEXT;
	}
	if (t != REDIS_REPLY_NIL || (nb = gw_edge_batch(e)) == NULL)
		return unavailable(e->ctx);
	gw_cmd_init(&cmd, "GET");
	gw_cmd_str(&cmd, s->key);
	s->slot = gw_batch_add(nb, &cmd);
	return gw_edge_wait(e, nb, idem_rechecked);
}

static int
idem_rechecked(struct gw_edge *e, void *st, const struct gw_batch *b)
{
	int proceed = 0;

	if (decide_or_reply(e, st, b, &proceed) != GW_NEXT || !proceed)
		return MP_DONE;
	/* gone again in between: let the client retry rather than race */
	mp_metrics_counter_add(m_conflict, 1);
	return in_progress(e->ctx);
}

static int
unavailable(struct mp_ctx *ctx)
{
	mp_metrics_counter_add(m_unavailable, 1);
	mp_reply_header(ctx, "Retry-After", "1");
	return mp_reply_problem(
	    ctx, 503, "idempotency-unavailable",
	    "the idempotency key cannot be checked right now; retry with the "
	    "same key");
}

static int
in_progress(struct mp_ctx *ctx)
{
	mp_reply_header(ctx, "Retry-After", "1");
	return mp_reply_problem(
	    ctx, 409, "idempotency-in-progress",
	    "a request with this Idempotency-Key is still in progress");
}

/* Decide on a GET of the record: *proceed = 1 to claim the key, else the
 * client was answered (replay, 409, 422, 503). Returns GW_NEXT, or
 * MP_DONE when answered with an error. */
static int
decide_or_reply(struct gw_edge *e, struct idem *s, const struct gw_batch *b,
                int *proceed)
{
	struct mp_ctx *ctx = e->ctx;
	struct gw_idem_record rec;
	enum gw_idem_action act;
	const char *str;
	size_t len = 0;
	int t = gw_batch_type(b, s->slot);

	*proceed = 0;
	if (t != REDIS_REPLY_STRING && t != REDIS_REPLY_NIL)
		return unavailable(ctx);
	if (t == REDIS_REPLY_NIL)
		act = GW_IDEM_PROCEED;
	else if ((str = gw_batch_str(b, s->slot, &len)) == NULL ||
	         gw_idem_record_decode(str, len, &rec) != 0 ||
	         gw_idem_decide(&rec, s->fp, &act) != 0)
		act = GW_IDEM_CONFLICT; /* unreadable: never write twice */
	switch (act) {
	case GW_IDEM_PROCEED:
		*proceed = 1;
		return GW_NEXT;
	case GW_IDEM_REPLAY:
		mp_metrics_counter_add(m_replay, 1);
		replay(e, &rec);
		return GW_NEXT;
	case GW_IDEM_MISMATCH:
		mp_metrics_counter_add(m_mismatch, 1);
		return mp_reply_problem(
		    ctx, 422, "idempotency-key-reused",
		    "this Idempotency-Key was used for another request");
	case GW_IDEM_CONFLICT:
	default:
		mp_metrics_counter_add(m_conflict, 1);
		return in_progress(ctx);
	}
}

static int
replay(struct gw_edge *e, const struct gw_idem_record *rec)
{
	struct mp_ctx *ctx = e->ctx;

	mp_reply_header(ctx, "Idempotent-Replayed", "true");
	if (rec->location != NULL && rec->location[0] != '\0')
		mp_reply_header(ctx, "Location", rec->location);
	return mp_reply_raw(ctx, rec->status,
	                    rec->content_type != NULL &&
	                            rec->content_type[0] != '\0'
	                        ? rec->content_type
	                        : NULL,
	                    rec->body != NULL ? rec->body : "", rec->body_len);
}

/* SET <key> <record> NX|XX PX|EX <ttl>: the claim, or the outcome over
 * it. ttl is written into num (borrowed by cmd). */
static void
set_cmd(struct gw_cmd *cmd, const struct idem *s, const void *rec, size_t len,
        const char *cond, const char *unit, int ttl, char *num, size_t numlen)
{
	snprintf(num, numlen, "%d", ttl);
	gw_cmd_init(cmd, "SET");
	gw_cmd_str(cmd, s->key);
	gw_cmd_arg(cmd, rec, len);
	gw_cmd_str(cmd, cond);
	gw_cmd_str(cmd, unit);
	gw_cmd_str(cmd, num);
}

/* Drop our claim so that the write can be retried with the same key. */
static void
release(struct idem *s)
{
	struct gw_cmd cmd;

	s->claimed = 0;
	gw_cmd_init(&cmd, "DEL");
	gw_cmd_str(&cmd, s->key);
	gw_redis_forget(&cmd);
}

static void
idem_failed(struct gw_edge *e, void *st)
{
	struct idem *s = st;

	(void)e;
	if (s->claimed)
		release(s);
}

/* The upstream answered `status`: keep the outcome for replays, or
 * release the key. */
static int
idem_response(struct gw_edge *e, void *st, int status)
{
	struct idem *s = st;
	struct gw_idem_record rec;
	struct gw_cmd cmd;
	unsigned char *buf = NULL;
	size_t len = 0, blen;
	char ex[16];

	if (!s->claimed)
		return GW_NEXT;
	if (!gw_idem_storable(status)) {
		release(s);
		return GW_NEXT;
	}
	memset(&rec, 0, sizeof(rec));
	rec.state = GW_IDEM_DONE;
	memcpy(rec.fingerprint, s->fp, sizeof(rec.fingerprint));
	rec.started_ms = mp_now_ms();
	rec.status = status;
	rec.content_type = gw_proxy_call_header(e->pc, "content-type");
	rec.location = gw_proxy_call_header(e->pc, "location");
	rec.body = gw_proxy_call_body(e->pc, &blen);
	rec.body_len = blen;
	if (gw_idem_record_encode(&rec, NULL, 0, &len) != -ENOSPC ||
	    (buf = malloc(len)) == NULL ||
	    gw_idem_record_encode(&rec, buf, len, &len) != 0) {
		mp_log(MP_LOG_WARN, "edge",
		       "an idempotent outcome could not "
		       "be recorded; the key is released");
		free(buf);
		release(s);
		return GW_NEXT;
	}
	set_cmd(&cmd, s, buf, len, "XX", "EX", TTL_S, ex, sizeof(ex));
	gw_redis_forget(&cmd);
	s->claimed = 0;
	free(buf);
	return GW_NEXT;
}
