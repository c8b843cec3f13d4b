/*
 * fuzz_gw_form: the token endpoint's parsers of client bytes on arbitrary
 * input (gateway/src/identity/tokens.c).
 *   - gw_tok_form_parse (application/x-www-form-urlencoded bodies of
 *     POST /auth/token and /auth/revoke): refused, or accepted with at most
 *     GW_FORM_MAX_PARAMS unique, non-empty, control-free names whose values
 *     are all found again by gw_tok_form_get; an exact-size heap copy of
 *     the input so ASan sees any over-read.
 *   - gw_tok_basic_parse (the Authorization header of client credentials):
 *     refused with its outputs wiped, or a non-empty id and a secret that
 *     fit their buffers.
 *   - gw_tok_scope_list_valid / gw_tok_scope_intersect on the same bytes
 *     as a requested scope.
 * Built and run by scripts/fuzz.sh (make fuzz).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
form(const char *buf, size_t size)
{
	struct gw_tok_form f;
	size_t i, k;

	memset(&f, 0, sizeof(f));
	if (gw_tok_form_parse(buf, size, &f) == 0) {
		if (f.n == 0 || f.n > GW_FORM_MAX_PARAMS)
			abort();
		for (i = 0; i < f.n; i++) {
			if (f.names[i][0] == '\0' ||
			    gw_tok_form_get(&f, f.names[i]) != f.values[i])
				abort();
			for (k = 0; f.names[i][k] != '\0'; k++)
				if ((unsigned char)f.names[i][k] < 0x20)
					abort();
			for (k = 0; k < i; k++)
				if (strcmp(f.names[k], f.names[i]) == 0)
					abort();
		}
	}
	gw_tok_form_free(&f);
}

static void
basic(const char *text)
{
	char id[65] = "", secret[129] = "";
	int rc =
	    gw_tok_basic_parse(text, id, sizeof(id), secret, sizeof(secret));

	if (rc == 0 && (id[0] == '\0' || strlen(id) >= sizeof(id) ||
	                strlen(secret) >= sizeof(secret)))
		abort();
	if (rc != 0 && (id[0] != '\0' || secret[0] != '\0'))
		abort(); /* wiped on failure */
}

static void
scopes(const char *text)
{
	char out[512];

	if (gw_tok_scope_list_valid(text) == 0)
		(void)gw_tok_scope_intersect("funding:read cases:read", text,
		                             out, sizeof(out));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *text;

	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	form(buf, size);
	free(buf);
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	basic(text);
	scopes(text);
	free(text);
	return 0;
}
