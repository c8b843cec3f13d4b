/*
 * The cases service's keys and what it does with them on the request path
 * (protect.c): sealing identifying fields before they reach the database,
 * opening them in answers, and the blind index of names.
 */
#ifndef CASES_PROTECT_H
#define CASES_PROTECT_H

#include <jansson.h>

#include "domain.h"

/* Read MP_FIELD_KEYS (id:base64[,id:base64...], the first seals) and
 * MP_BLIND_INDEX_KEY (the blind-index ring, cases_index_ring_parse) from
 * the environment. Returns 0, or -1 after logging what is wrong (never
 * the keys). */
int cases_protect_init(void);

/* The key ring loaded by cases_protect_init. */
const struct cases_keyring *cases_keys(void);

/*
 * cases_seal_json: seal `value` (any JSON, dumped compactly) for the field
 * `field` of the row `id`: *out as cases_seal. Returns 0 or negative.
 */
int cases_seal_json(const char *id, const char *field, const json_t *value,
                    char **out);

/*
 * cases_open_fields: in every object of `v` (recursively) that has an
 * "id", replace each "<field>_enc" member by "<field>": the JSON value
 * sealed for that row and field (null when the value is null, i.e.
 * erased). A value that does not open becomes null and is logged (ids
 * only). Returns the number of values that did not open.
 */
int cases_open_fields(json_t *v);

/*
 * cases_name_index: the index values of `name` under the current
 * blind-index key, what is stored for a person: a new JSON array of
 * "<key id>:<hex>" strings (empty when the name has no word), or NULL
 * without memory.
 */
json_t *cases_name_index(const char *name);

/*
 * cases_name_search: what a search for `name` looks for during a
 * rotation: its index values under every key of the ring, in one new
 * JSON array; *words is the number of values per key (a person matches
 * when all *words values of one key are theirs). NULL without memory.
 */
json_t *cases_name_search(const char *name, size_t *words);

#endif /* CASES_PROTECT_H */
