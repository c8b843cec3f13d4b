/*
 * Decide steps of the cases routes (decide.h). The database re-checks
 * every rule under its locks; deciding here first gives the client the
 * precise refusal (403 not-certified, 409 consent-required with the
 * purpose, 409 with the allowed states) from the same pure rules the unit
 * suite tests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mp/problem.h"
#include "mp/util.h"

#include "decide.h"
#include "domain.h"
#include "protect.h"

#define W struct cases_work_facts
static const struct mp_fact consent_item[] = {
    MP_FACT("purpose", MP_FACT_STRING, 0, struct cases_consent_fact, purpose),
    MP_FACT("service_id", MP_FACT_STRING, MP_FACT_NULLABLE,
            struct cases_consent_fact, service_id),
    MP_FACT("withdrawn", MP_FACT_BOOL, 0, struct cases_consent_fact, withdrawn),
    MP_FACT_END};

#define WORK_FACTS                                                             \
	MP_FACT("certified_until_ms", MP_FACT_INT, MP_FACT_NULLABLE, W,        \
	        certified_until_ms),                                           \
	    MP_FACT("now_ms", MP_FACT_INT, 0, W, now_ms),                      \
	    MP_FACT_LIST("consents", 0, W, consents, n_consents,               \
	                 struct cases_consent_fact, consent_item),             \
	    MP_FACT("service_id", MP_FACT_STRING, MP_FACT_NULLABLE, W,         \
	            service_id),                                               \
	    MP_FACT("service_active", MP_FACT_BOOL, 0, W, service_active)

const struct mp_fact cases_facts_person_work[] = {WORK_FACTS, MP_FACT_END};
const struct mp_fact cases_facts_case_work[] = {
    MP_FACT("state", MP_FACT_STRING, 0, W, state),
    MP_FACT("worker", MP_FACT_BOOL, 0, W, worker), WORK_FACTS, MP_FACT_END};
const struct mp_fact cases_facts_person_update[] = {
    WORK_FACTS, MP_FACT("identity_enc", MP_FACT_STRING, 0, W, identity_enc),
    MP_FACT("version", MP_FACT_INT, 0, W, version), MP_FACT_END};
#undef W

static int consent_allows(const struct cases_work_facts *f, const char *purpose,
                          const char *service_id);
static int certified_or_refuse(struct mp_ctx *ctx,
                               const struct cases_work_facts *f);
static int consent_or_refuse(struct mp_ctx *ctx,
                             const struct cases_work_facts *f,
                             const char *purpose, const char *service_id);
static int field_refusal(struct mp_ctx *ctx, const char *field,
                         const char *reason);
static const char *body_str(const json_t *body, const char *key);

static const char *
body_str(const json_t *body, const char *key)
{
	return json_string_value(json_object_get(body, key));
}

static int
field_refusal(struct mp_ctx *ctx, const char *field, const char *reason)
{
	json_t *p =
	    mp_problem_new(400, "validation", NULL, "the request is not valid");

	mp_problem_add_error(p, field, reason);
	return mp_refuse(ctx, p);
}

static int
consent_allows(const struct cases_work_facts *f, const char *purpose,
               const char *service_id)
{
	struct cases_consent c[64];
	size_t n = 0;

	for (size_t i = 0; i < f->n_consents; i++) {
		if (n == sizeof(c) / sizeof(c[0])) {
			if (cases_consent_allows(c, n, purpose, service_id))
				return 1;
			n = 0;
		}
		c[n].purpose = f->consents[i].purpose;
		c[n].service_id = f->consents[i].service_id;
		c[n].withdrawn = f->consents[i].withdrawn;
		n++;
	}
	return cases_consent_allows(c, n, purpose, service_id);
}

static int
certified_or_refuse(struct mp_ctx *ctx, const struct cases_work_facts *f)
{
	json_t *p;

	if (cases_certified(f->certified_until_ms, f->now_ms))
		return 0;
	p = mp_problem_new(403, "not-certified", NULL,
	                   "only a currently "
	                   "certified agent or mediator may do case work");
	return mp_refuse(ctx, p);
}

static int
consent_or_refuse(struct mp_ctx *ctx, const struct cases_work_facts *f,
                  const char *purpose, const char *service_id)
{
	json_t *p;

	if (consent_allows(f, purpose, service_id))
		return 0;
	p = mp_problem_new(409, "consent-required", NULL,
	                   strcmp(purpose, "referral") == 0
	                       ? "the person has not "
	                         "consented to sharing with this service"
	                       : "the person has no "
	                         "current consent for this purpose");
	json_object_set_new(p, "purpose", json_string(purpose));
	return mp_refuse(ctx, p);
}

int
cases_decide_register(struct mp_ctx *ctx, struct mp_run *run)
{
	const json_t *b = run->body;
	json_t *identity = NULL, *tokens = NULL;
	char id[MP_UUID_STRLEN + 1], *enc = NULL, name[CASES_NAME_MAX];
	int rc = MP_ANSWERED;

	if (certified_or_refuse(ctx, run->facts) != 0)
		return MP_ANSWERED;
	if (mp_uuid_v7(id) != 0)
		return mp_refuse_status(ctx, 503, "overloaded",
		                        "retry shortly");
	identity = json_pack("{s:O, s:O, s:O*, s:O*, s:O*, s:O*}", "given_name",
	                     json_object_get(b, "given_name"), "family_name",
	                     json_object_get(b, "family_name"), "nationality",
	                     json_object_get(b, "nationality"), "phone",
	                     json_object_get(b, "phone"), "email",
	                     json_object_get(b, "email"), "address",
	                     json_object_get(b, "address"));
	if (cases_identity_name(b, name, sizeof(name)) == 0)
		tokens = cases_name_index(name);
	sodium_memzero(name, sizeof(name));
	if (identity == NULL || tokens == NULL ||
	    cases_seal_json(id, "identity", identity, &enc) != 0) {
		mp_refuse_status(ctx, 503, "overloaded", "retry shortly");
		goto cleanup;
	}
	run->decision = json_pack("{s:s, s:s, s:O}", "id", id, "identity_enc",
	                          enc, "name_tokens", tokens);
	rc = run->decision != NULL ? 0 : mp_refuse(ctx, NULL);
cleanup:
	json_decref(identity);
	json_decref(tokens);
	free(enc);
	return rc;
}

/* The fields of the sealed identity a body may change. */
static const char *const identity_keys[] = {
    "given_name", "family_name", "nationality", "phone",
    "email",      "address",     NULL};

int
cases_decide_person_update(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct cases_work_facts *f = run->facts;
	const json_t *b = run->body;
	const char *id = mp_param(ctx, "id");
	json_t *row = NULL, *identity, *tokens = NULL;
	char *enc = NULL, name[CASES_NAME_MAX];
	int rc = MP_ANSWERED, changed = 0;

	if (certified_or_refuse(ctx, f) != 0 ||
	    consent_or_refuse(ctx, f, "accompaniment", NULL) != 0)
		return MP_ANSWERED;
	run->decision = json_pack("{s:I}", "version", (json_int_t)f->version);
	if (run->decision == NULL)
		return mp_refuse(ctx, NULL);
	for (size_t i = 0; identity_keys[i] != NULL; i++)
		changed |= json_object_get(b, identity_keys[i]) != NULL;
	if (!changed)
		return 0;
	row =
	    json_pack("{s:s, s:s}", "id", id, "identity_enc", f->identity_enc);
	if (row == NULL || cases_open_fields(row) != 0 ||
	    !json_is_object(identity = json_object_get(row, "identity"))) {
		mp_refuse(ctx, NULL);
		goto cleanup;
	}
	for (size_t i = 0; identity_keys[i] != NULL; i++)
		if (json_object_get(b, identity_keys[i]) != NULL)
			json_object_set(identity, identity_keys[i],
			                json_object_get(b, identity_keys[i]));
	if (cases_identity_name(identity, name, sizeof(name)) == 0)
		tokens = cases_name_index(name);
	sodium_memzero(name, sizeof(name));
	if (tokens == NULL ||
	    cases_seal_json(id, "identity", identity, &enc) != 0 ||
	    json_object_set_new(run->decision, "identity_enc",
	                        json_string(enc)) != 0 ||
	    json_object_set(run->decision, "name_tokens", tokens) != 0) {
		mp_refuse_status(ctx, 503, "overloaded", "retry shortly");
		goto cleanup;
	}
	rc = 0;
cleanup:
	json_decref(row);
	json_decref(tokens);
	free(enc);
	return rc;
}

int
cases_decide_search(struct mp_ctx *ctx, struct mp_run *run)
{
	const char *name = mp_query(ctx, "name");
	json_t *tokens;
	size_t words;

	if (name == NULL)
		return 0;
	if ((tokens = cases_name_search(name, &words)) == NULL)
		return mp_refuse(ctx, NULL);
	if (words == 0) {
		json_decref(tokens);
		return field_refusal(ctx, "name", "no word to search for");
	}
	run->decision = json_pack("{s:o, s:I}", "name_tokens", tokens,
	                          "name_words", (json_int_t)words);
	return run->decision != NULL ? 0 : mp_refuse(ctx, NULL);
}

int
cases_decide_case_open(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct cases_work_facts *f = run->facts;

	if (certified_or_refuse(ctx, f) != 0 ||
	    consent_or_refuse(ctx, f, "accompaniment", NULL) != 0)
		return MP_ANSWERED;
	return 0;
}

int
cases_decide_transition(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct cases_machine *m = run->op->arg;
	const struct cases_work_facts *f = run->facts;
	const char *allowed[CASES_ALLOWED_MAX], *to, *field, *why;
	const char *want = body_str(run->body, "to");
	char detail[160];
	size_t n;
	int rc;

	if (!f->worker)
		return mp_refuse_status(
		    ctx, 403, "forbidden",
		    "only an agent "
		    "of the case's commune or its assigned mediator works a "
		    "case");
	if (certified_or_refuse(ctx, f) != 0)
		return MP_ANSWERED;
	rc = cases_transition_check(m, f->state, want, &to, allowed, &n);
	if (rc == -ENOENT)
		return field_refusal(ctx, "to",
		                     "not a state or action of "
		                     "this resource");
	if (rc != 0) {
		snprintf(detail, sizeof(detail),
		         "a %s in state '%s' cannot "
		         "go to '%s'",
		         m->name, f->state, want);
		return mp_refuse(ctx, mp_conflict_problem(detail, allowed, n));
	}
	if (strcmp(to, "closed") == 0 && body_str(run->body, "reason") == NULL)
		return field_refusal(ctx, "reason", "required to close a case");
	if (strcmp(to, "completed") == 0 &&
	    cases_outcome_check(f->state, body_str(run->body, "outcome"),
	                        body_str(run->body, "outcome_reason"), &field,
	                        &why) != 0)
		return field_refusal(ctx, field, why);
	if (strcmp(to, "closed") != 0 && strcmp(to, "cancelled") != 0 &&
	    consent_or_refuse(ctx, f, "accompaniment", NULL) != 0)
		return MP_ANSWERED;
	if (strcmp(to, "sent") == 0 &&
	    consent_or_refuse(ctx, f, "referral", f->service_id) != 0)
		return MP_ANSWERED;
	run->decision = json_pack("{s:s, s:s}", "from", f->state, "to", to);
	return run->decision != NULL ? 0 : mp_refuse(ctx, NULL);
}

int
cases_decide_note(struct mp_ctx *ctx, struct mp_run *run)
{
	char id[MP_UUID_STRLEN + 1], *enc = NULL;

	if (mp_uuid_v7(id) != 0 ||
	    cases_seal_json(id, "text", json_object_get(run->body, "text"),
	                    &enc) != 0)
		return mp_refuse_status(ctx, 503, "overloaded",
		                        "retry shortly");
	run->decision = json_pack("{s:s, s:s}", "id", id, "body_enc", enc);
	free(enc);
	return run->decision != NULL ? 0 : mp_refuse(ctx, NULL);
}

int
cases_decide_referral(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct cases_work_facts *f = run->facts;
	json_t *p;

	if (!f->worker)
		return mp_refuse_status(
		    ctx, 403, "forbidden",
		    "only an agent "
		    "of the case's commune or its assigned mediator works a "
		    "case");
	if (certified_or_refuse(ctx, f) != 0)
		return MP_ANSWERED;
	if (strcmp(f->state, "open") != 0 &&
	    strcmp(f->state, "in_progress") != 0)
		return mp_refuse_status(ctx, 409, "conflict",
		                        "referrals are "
		                        "made from an open case");
	if (!f->service_active) {
		p = mp_problem_new(409, "service-inactive", NULL,
		                   "the service is not active");
		return mp_refuse(ctx, p);
	}
	if (consent_or_refuse(ctx, f, "accompaniment", NULL) != 0 ||
	    consent_or_refuse(ctx, f, "referral", f->service_id) != 0)
		return MP_ANSWERED;
	return 0;
}

int
cases_answer_open(struct mp_ctx *ctx, struct mp_run *run, json_t *body)
{
	(void)ctx;
	(void)run;
	cases_open_fields(body);
	return 0;
}
