/*
 * fuzz_timefmt: mp_time_parse and mp_date_parse on arbitrary bytes. What
 * parses must be in range and survive a round trip: format(parse(s)) parses
 * back to the same instant; format(ms) for the raw input read as a number
 * parses back to ms.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib/include \
 *       tests/fuzz/fuzz_timefmt.c lib/src/core/timefmt.c -o fuzz_timefmt
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mp/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, out[32];
	int64_t ms, back, raw = 0;
	int y, m, d, rc;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (mp_time_parse(s, &ms) == 0) {
		/* parse bounds: year 0000..9999 shifted by < 24h of offset */
		if (ms < -62167219200000LL - 86400000LL ||
		    ms > 253402300799999LL + 86400000LL)
			abort();
		rc = mp_time_format(ms, out);
		if (rc == 0) {
			if (mp_time_parse(out, &back) != 0 || back != ms)
				abort();
		} else if (rc != -ERANGE) {
			abort();
		}
	}

	if (mp_date_parse(s, &y, &m, &d) == 0) {
		if (strlen(s) != 10 || y < 0 || y > 9999 || m < 1 || m > 12 ||
		    d < 1 || d > 31)
			abort();
	}

	/* any 8 bytes as an instant */
	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	rc = mp_time_format(raw, out);
	if (rc == 0) {
		if (strlen(out) != 24 || mp_time_parse(out, &back) != 0 ||
		    back != raw)
			abort();
	} else if (rc != -ERANGE || out[0] != '\0') {
		abort();
	}
	free(s);
	return 0;
}
