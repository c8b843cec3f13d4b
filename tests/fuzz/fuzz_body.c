/*
 * fuzz_body: mp_body_parse on arbitrary bytes against a schema that uses
 * every field type, nested objects and arrays. Checks the contract, not
 * just memory safety: exactly one of out/problem is set, the problem is a
 * serialisable RFC 9457 object with the right status for the return code,
 * errors[] never exceeds its cap, and an accepted body validates again.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib/include \
 *       tests/fuzz/fuzz_body.c lib/src/core/{body,problem,uuid,timefmt}.c \
 *       -ljansson -lsodium -o fuzz_body
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mp/body.h"
#include "mp/problem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const kinds[] = {"mre", "regularised_migrant", "association",
                                    NULL};
static const struct mp_field line_fields[] = {
    MP_FIELD("label", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 20),
    MP_FIELD("amount", MP_F_MONEY, MP_F_REQUIRED, .min = 1, .max = 100000),
    MP_FIELD("when", MP_F_DATETIME, MP_F_NULLABLE), MP_FIELD_END};
static const struct mp_field line_item =
    MP_FIELD("line", MP_F_OBJECT, 0, .fields = line_fields);
static const struct mp_field kind_item =
    MP_FIELD("kind", MP_F_ENUM, MP_F_NULLABLE, .enum_values = kinds);
static const struct mp_field int_item =
    MP_FIELD("i", MP_F_INT, 0, .min = -5, .max = 5);
static const struct mp_field row_item =
    MP_FIELD("row", MP_F_ARRAY, 0, .max_len = 4, .items = &int_item);
static const struct mp_field schema[] = {
    MP_FIELD("title", MP_F_I18N, MP_F_REQUIRED, .min_len = 1, .max_len = 30),
    MP_FIELD("kind", MP_F_ENUM, 0, .enum_values = kinds),
    MP_FIELD("s", MP_F_STRING, MP_F_NULLABLE, .max_len = 8),
    MP_FIELD("n", MP_F_INT, 0),
    MP_FIELD("b", MP_F_BOOL, 0),
    MP_FIELD("id", MP_F_UUID, 0),
    MP_FIELD("d", MP_F_DATE, 0),
    MP_FIELD("t", MP_F_DATETIME, 0),
    MP_FIELD("lines", MP_F_ARRAY, 0, .max_len = 5, .items = &line_item),
    MP_FIELD("kinds", MP_F_ARRAY, 0, .items = &kind_item),
    MP_FIELD("grid", MP_F_ARRAY, 0, .items = &row_item),
    MP_FIELD("meta", MP_F_OBJECT, 0),
    MP_FIELD("any", MP_F_ARRAY, 0),
    MP_FIELD("m", MP_F_MONEY, 0),
    MP_FIELD("e", MP_F_EMAIL, 0, .max_len = 60),
    MP_FIELD("o", MP_F_OBJECT, MP_F_NULLABLE, .fields = line_fields),
    MP_FIELD_END};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mp_body_limits lim = {64 * 1024, 8};
	json_t *out = NULL, *problem = NULL, *again;
	char *dump;
	int rc, status;

	rc = mp_body_parse((const char *)data, size, schema, &lim, &out,
	                   &problem);
	if (rc == 0) {
		if (out == NULL || problem != NULL || !json_is_object(out))
			abort();
		/* what was accepted must validate again, unchanged */
		again = mp_problem_new(400, "validation", NULL, NULL);
		if (again == NULL)
			abort();
		if (mp_body_validate(out, schema, "", again) != 0 ||
		    mp_problem_error_count(again) != 0)
			abort();
		json_decref(again);
		json_decref(out);
		return 0;
	}
	if (rc == -ENOMEM)
		abort(); /* not expected under the fuzzer's limits */
	if (out != NULL || problem == NULL)
		abort();
	status = (int)json_integer_value(json_object_get(problem, "status"));
	if ((rc == -E2BIG) != (status == 413) ||
	    (rc != -E2BIG && rc != -EINVAL))
		abort();
	if (size > lim.max_bytes && rc != -E2BIG)
		abort();
	if (mp_problem_error_count(problem) > MP_BODY_MAX_ERRORS)
		abort();
	if (strncmp(json_string_value(json_object_get(problem, "type")),
	            MP_PROBLEM_BASE, strlen(MP_PROBLEM_BASE)) != 0)
		abort();
	dump = json_dumps(problem, JSON_COMPACT);
	if (dump == NULL)
		abort();
	free(dump);
	json_decref(problem);
	return 0;
}
