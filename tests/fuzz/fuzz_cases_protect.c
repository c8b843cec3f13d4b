/*
 * fuzz_cases_protect: the cases service's readers of outside bytes. The
 * blind index of an arbitrary name (a search query) yields at most
 * CASES_TOKENS_MAX distinct 32-hex-digit tokens and is the same for the
 * same bytes; opening arbitrary text as a sealed value never succeeds
 * unless it was sealed (and never crashes); a key-ring specification
 * either parses or is refused with a reason; a value sealed under the
 * parsed ring opens again with the same associated data only.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib/include \
 *       tests/fuzz/fuzz_cases_protect.c services/cases/src/domain_crypto.c \
 *       -lsodium -o fuzz_cases_protect
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/cases/src/domain.h"
#include "../../services/cases/src/domain_crypto.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[CASES_KEY_BYTES] = {7};
	char a[CASES_TOKENS_MAX][CASES_TOKEN_HEX + 1];
	char b[CASES_TOKENS_MAX][CASES_TOKEN_HEX + 1];
	struct cases_keyring kr;
	char *s, *out = NULL, *enc = NULL, err[128];
	size_t na, nb, len;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (cases_name_tokens(key, s, a, CASES_TOKENS_MAX, &na) != 0 ||
	    na > CASES_TOKENS_MAX ||
	    cases_name_tokens(key, s, b, CASES_TOKENS_MAX, &nb) != 0 ||
	    na != nb)
		abort();
	for (size_t i = 0; i < na; i++)
		if (strlen(a[i]) != CASES_TOKEN_HEX || strcmp(a[i], b[i]) != 0)
			abort();

	if (cases_keyring_parse(
	        "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", &kr, err,
	        sizeof(err)) != 0)
		abort();
	if (cases_open(&kr, "row:field", s, &out, &len) == 0)
		abort(); /* nobody sealed these bytes */
	if (cases_seal(&kr, s, s, size, &enc) != 0 ||
	    cases_open(&kr, s, enc, &out, &len) != 0 || len != size ||
	    memcmp(out, s, size) != 0)
		abort();
	free(out);
	out = NULL;
	if (strcmp(s, "another row") != 0 &&
	    cases_open(&kr, "another row", enc, &out, &len) == 0)
		abort(); /* another associated data does not open it */
	free(enc);
	cases_keyring_wipe(&kr);

	if (cases_keyring_parse(s, &kr, err, sizeof(err)) == 0) {
		if (kr.n == 0 || kr.n > CASES_KEYS_MAX)
			abort();
		cases_keyring_wipe(&kr);
	} else if (err[0] == '\0') {
		abort();
	}
	free(s);
	return 0;
}
