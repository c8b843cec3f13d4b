/*
 * The decide steps of the cases routes (mp/run.h): each reads the facts
 * its load statement returned (decoded by the tables below), checks them
 * with the domain rules (domain.h) and either sets the decision or
 * answers the refusal. Steps that receive personal data seal it here, so
 * that only ciphertext and blind-index tokens reach the database.
 */
#ifndef CASES_DECIDE_H
#define CASES_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "mp/run.h"

struct cases_consent_fact {
	const char *purpose, *service_id;
	int withdrawn;
};

/* The facts of any case work (cases_*_work_facts, cases_register_facts):
 * the principal's certification, the person's consents, the target
 * service of a referral; for work on a case or a referral, its state and
 * whether the principal is its worker. */
struct cases_work_facts {
	const char *state;
	int worker;
	int64_t certified_until_ms; /* 0: never certified */
	int64_t now_ms;
	struct cases_consent_fact *consents;
	size_t n_consents;
	const char *service_id;
	int service_active;
	/* an update of the person: its sealed identity and version */
	const char *identity_enc;
	int64_t version;
};
extern const struct mp_fact cases_facts_person_work[];
extern const struct mp_fact cases_facts_case_work[];
extern const struct mp_fact cases_facts_person_update[];
#define CASES_FACTS_PERSON_WORK                                                \
	MP_OP_FACTS(cases_facts_person_work, struct cases_work_facts)
#define CASES_FACTS_PERSON_UPDATE                                              \
	MP_OP_FACTS(cases_facts_person_update, struct cases_work_facts)
#define CASES_FACTS_CASE_WORK                                                  \
	MP_OP_FACTS(cases_facts_case_work, struct cases_work_facts)

/* Registration: a certified agent or mediator; the body's identity is
 * sealed and its names indexed: decision {"id", "identity_enc",
 * "name_tokens"}. */
int cases_decide_register(struct mp_ctx *ctx, struct mp_run *run);

/* Update of a person: a certified agent or mediator, a current consent
 * to accompaniment; when the body changes a name, the nationality or the
 * contact, the identity of the loaded version is opened, changed, sealed
 * again and its names indexed again: decision {"version",
 * "identity_enc"?, "name_tokens"?}. */
int cases_decide_person_update(struct mp_ctx *ctx, struct mp_run *run);

/* Search: ?name= becomes decision {"name_tokens": [...]} (400 when it has
 * no word); no name, no decision. */
int cases_decide_search(struct mp_ctx *ctx, struct mp_run *run);

/* Opening a case: certified, with a current consent to accompaniment
 * (409 consent-required). */
int cases_decide_case_open(struct mp_ctx *ctx, struct mp_run *run);

/* A case's or referral's change through its table (op->arg): the
 * certified worker, 409 with "allowed" for an illegal change, consent for
 * any change but closing or cancelling; a closure needs a reason and a
 * completion its outcome (400). Decision {"from", "to"}. */
int cases_decide_transition(struct mp_ctx *ctx, struct mp_run *run);

/* A note: sealed for the case; decision {"id", "body_enc"}. */
int cases_decide_note(struct mp_ctx *ctx, struct mp_run *run);

/* A referral: the certified worker of an open case, an active service,
 * consent to accompaniment and to sharing with that service. */
int cases_decide_referral(struct mp_ctx *ctx, struct mp_run *run);

/* Open the sealed fields of an answer (mp_op.answer). */
int cases_answer_open(struct mp_ctx *ctx, struct mp_run *run, json_t *body);

#endif /* CASES_DECIDE_H */
