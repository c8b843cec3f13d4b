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
 * MP_BLIND_INDEX_KEY (base64 of 32 bytes) from the environment. Returns 0,
 * or -1 after logging what is wrong (never the keys). */
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
 * cases_name_index: the blind-index tokens of `name` as a new JSON array
 * of hex strings (empty when the name has no word), or NULL without
 * memory.
 */
json_t *cases_name_index(const char *name);

#endif /* CASES_PROTECT_H */
