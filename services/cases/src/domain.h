/*
 * The cases domain in plain C (no Kore types): the transition tables of
 * cases and referrals, the consent and certification rules, the outcome
 * of a completed referral, and the protection of personal data (the
 * encryption of identifying fields under a key ring, and the keyed blind
 * index of name words). Linked into the service, the key-rotation tool
 * and the unit suites.
 */
#ifndef CASES_DOMAIN_H
#define CASES_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---- transition tables (domain_rules.c) -----------------------------------
 */

struct cases_edge {
	const char *from, *action, *to;
};

struct cases_machine {
	const char *name;               /* "case", "referral" */
	const char *const *states;      /* NULL-terminated */
	const struct cases_edge *edges; /* ends with {NULL} */
};

extern const struct cases_machine cases_machine_case;
extern const struct cases_machine cases_machine_referral;

#define CASES_ALLOWED_MAX 8

/*
 * cases_transition_check: may an object of machine `m` in state `from` go
 * where `want` says (a target state or an action name)? Returns 0 with
 * *to the target state (static); -ENOENT when `want` is neither a state
 * nor an action of the machine (or an argument is NULL); -EINVAL when the
 * change is not allowed from `from`. In every case allowed[0..*n) lists
 * the states reachable from `from` (at most CASES_ALLOWED_MAX, table
 * order), for the 409's "allowed".
 */
int cases_transition_check(const struct cases_machine *m, const char *from,
                           const char *want, const char **to,
                           const char **allowed, size_t *n);

/* ---- consent and certification (domain_rules.c) -----------------------------
 */

struct cases_consent {
	const char *purpose;    /* accompaniment | referral | statistics */
	const char *service_id; /* referral: the directory service, else NULL */
	int withdrawn;
};

/*
 * cases_consent_allows: 1 if one of the n consents is current (not
 * withdrawn) for `purpose` and, for "referral", names `service_id`; 0
 * otherwise (a NULL purpose, or a referral without a service, is 0).
 */
int cases_consent_allows(const struct cases_consent *c, size_t n,
                         const char *purpose, const char *service_id);

/*
 * cases_certified: 1 if a certification valid until `until_ms` (Unix
 * milliseconds; 0 = none) still holds at `now_ms`, else 0. Expiry
 * withdraws the right at the very millisecond.
 */
int cases_certified(int64_t until_ms, int64_t now_ms);

/*
 * cases_outcome_check: the outcome of a completed referral, coming from
 * state `from` ("accepted" or "declined"). A successful outcome has the
 * reason "need_met" and comes from an accepted referral; an unsuccessful
 * one has one of person_refused, service_lacked_capacity,
 * person_unreachable, service_unreachable, need_disappeared. Returns 0, or
 * -EINVAL with *field ("outcome" or "outcome_reason") and *reason (static
 * texts) for the 400.
 */
int cases_outcome_check(const char *from, const char *outcome,
                        const char *reason, const char **field,
                        const char **why);

/* ---- personal data protection (domain_crypto.c) ---------------------------
 */

#define CASES_KEY_BYTES 32
#define CASES_KEY_ID_MAX 32
#define CASES_KEYS_MAX 8
#define CASES_TOKEN_HEX 32 /* a name token: 16 bytes in hex */
#define CASES_TOKENS_MAX 16
#define CASES_NAME_MAX 1608 /* two names of 200 characters of UTF-8 */

struct cases_key {
	char id[CASES_KEY_ID_MAX + 1]; /* [a-z0-9_-]{1,32} */
	unsigned char key[CASES_KEY_BYTES];
};

/* Keys of the encrypted fields: the first seals, every one opens. */
struct cases_keyring {
	struct cases_key keys[CASES_KEYS_MAX];
	size_t n;
};

/*
 * cases_keyring_parse: "id:base64key[,id:base64key...]" (standard base64
 * of 32 bytes; the first key is current) into kr. Returns 0, or -EINVAL
 * with a reason in err (never the key material). Call cases_keyring_wipe
 * when done.
 */
int cases_keyring_parse(const char *spec, struct cases_keyring *kr, char *err,
                        size_t errlen);

/* Zero every key of kr. */
void cases_keyring_wipe(struct cases_keyring *kr);

/*
 * cases_seal: encrypt len bytes of pt with the current key of kr
 * (XChaCha20-Poly1305, a random 24-byte nonce), authenticating `aad` (the
 * row and field the value belongs to, e.g. "<uuid>:identity"). *out is a
 * malloc'd NUL-terminated "enc1:<key id>:<base64(nonce || ciphertext)>".
 * Returns 0, -EINVAL (no key, NULL argument) or -ENOMEM.
 */
int cases_seal(const struct cases_keyring *kr, const char *aad, const void *pt,
               size_t len, char **out);

/*
 * cases_open: the reverse of cases_seal with the key `enc` names. *out is
 * a malloc'd NUL-terminated plaintext of *len bytes (the caller wipes and
 * frees it). Returns 0, -ENOKEY (key id not in kr), -EBADMSG (malformed,
 * or the ciphertext or aad was altered) or -ENOMEM.
 */
int cases_open(const struct cases_keyring *kr, const char *aad, const char *enc,
               char **out, size_t *len);

/* 1 if `enc` was sealed under kr's current key, else 0. */
int cases_sealed_current(const struct cases_keyring *kr, const char *enc);

/*
 * cases_name_tokens: the blind index of a name. The name's words (split
 * on spaces and punctuation, ASCII folded to lower case, common Latin
 * accents removed, other UTF-8 kept as is) are each hashed with `key`
 * (keyed BLAKE2b, 16 bytes) into 32 hex digits. Writes at most `cap`
 * distinct tokens to out[] (each CASES_TOKEN_HEX + 1 bytes) and their
 * number to *n. Returns 0, or -EINVAL (NULL argument).
 */
int cases_name_tokens(const unsigned char key[CASES_KEY_BYTES],
                      const char *name, char out[][CASES_TOKEN_HEX + 1],
                      size_t cap, size_t *n);

/* An index value: "<key id>:<32 hex>", the key id recording which key of
 * the blind-index ring made it. */
#define CASES_INDEX_TOKEN_MAX (CASES_KEY_ID_MAX + 1 + CASES_TOKEN_HEX)

/*
 * cases_index_ring_parse: the blind-index key ring (MP_BLIND_INDEX_KEY):
 * "id:base64[,id:base64...]" as cases_keyring_parse (the first key
 * indexes what is written, every key is searched), or one bare base64
 * key, which is the ring "0:<key>" (index values written before key ids
 * existed carry the id "0"). Returns 0, or -EINVAL with a reason in err
 * (never key material).
 */
int cases_index_ring_parse(const char *spec, struct cases_keyring *kr,
                           char *err, size_t errlen);

/*
 * cases_index_tokens: the blind index of `name` under key k, each token
 * as an index value "<k->id>:<hex>" (cases_name_tokens under k->key).
 * Writes at most `cap` values to out[] and their number to *n. Returns 0
 * or -EINVAL.
 */
int cases_index_tokens(const struct cases_key *k, const char *name,
                       char out[][CASES_INDEX_TOKEN_MAX + 1], size_t cap,
                       size_t *n);

/*
 * cases_index_search: what a search for `name` looks for during a
 * rotation: its index values under every key of the ring ix, key after
 * key (at most CASES_KEYS_MAX * CASES_TOKENS_MAX values; cap bounds
 * them), their number in *n and the number per key in *words. A person
 * indexed under any key of the ring is found by the `*words` values of
 * that key. Returns 0 or -EINVAL.
 */
int cases_index_search(const struct cases_keyring *ix, const char *name,
                       char out[][CASES_INDEX_TOKEN_MAX + 1], size_t cap,
                       size_t *n, size_t *words);

/*
 * cases_identity_name: the name a sealed identity (the JSON object of
 * given_name, family_name, ...) is indexed by, "<given> <family>", into
 * buf (the caller wipes it). Returns 0, -EINVAL (not an object) or
 * -ENOSPC.
 */
int cases_identity_name(const json_t *identity, char *buf, size_t len);

/* ---- dashboards: disclosure control (domain_dashboard.c) ------------------
 */

/*
 * cases_dashboard_protect: turn the exact counts of cases_dashboard()
 * (cells {<dimensions>, "sex", "n"}) into what may be published, in place.
 * Each table is laid out as its rows (the dimension values) by sex
 * (female, male) with a "total" column per row and, where the sum is a
 * count of people, a "total" row per sex and a grand total; cells of 1 to
 * threshold - 1 people are suppressed and so is whatever would give them
 * away through the totals (mp_suppress: complementary suppression, then
 * audited). A cell is {<dimensions>, "sex", "count", "suppressed"}; a
 * suppressed one has "count": null, never 0. The medians by sex rest on
 * their count: null when it is suppressed. The tables are cases by state
 * and by need, referrals by outcome and by category, and the certified
 * agents and mediators by role; "certified_sex_unrecorded" (agents whose
 * sex was never recorded, an integer when present) becomes {"count",
 * "suppressed"}. The threshold is the dashboard's "suppression_threshold".
 * Returns 0, -EINVAL (a cell not shaped as above), -E2BIG (more rows than
 * MP_TABLE_MAX_ROWS), -ENOMEM.
 */
int cases_dashboard_protect(json_t *dash);

#endif /* CASES_DOMAIN_H */
