/*
 * fuzz_lang: mp_lang_negotiate on arbitrary Accept-Language bytes must
 * return one of the supported languages; mp_i18n_pick on an arbitrary
 * JSON object must return NULL or one of the object's own non-empty
 * string values.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib/include \
 *       tests/fuzz/fuzz_lang.c lib/src/core/lang.c -ljansson -o fuzz_lang
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mp/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *lang, *pick, *key;
	char *s;
	json_t *obj, *v;
	int found;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	lang = mp_lang_negotiate(s);
	if (strcmp(lang, "fr") != 0 && strcmp(lang, "ar") != 0 &&
	    strcmp(lang, "en") != 0 && strcmp(lang, "zgh") != 0)
		abort();

	obj = json_loadb(s, size, 0, NULL);
	if (obj != NULL) {
		pick = mp_i18n_pick(obj, size > 0 ? s + size / 2 : NULL);
		if (pick != NULL) {
			found = 0;
			json_object_foreach(obj, key, v)
			{
				if (json_string_value(v) == pick)
					found = 1;
			}
			if (!found || *pick == '\0')
				abort();
		} else {
			json_object_foreach(obj, key, v)
			{
				if (json_is_string(v) &&
				    json_string_length(v) > 0 &&
				    json_string_value(v)[0] != '\0')
					abort();
			}
		}
		json_decref(obj);
	}
	free(s);
	return 0;
}
