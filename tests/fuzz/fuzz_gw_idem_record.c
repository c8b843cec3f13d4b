/*
 * fuzz_gw_idem_record: the gateway's idempotency and rate-limit parsers on
 * arbitrary bytes.
 *   - gw_idem_record_decode (bytes read back from Redis): refused, or
 *     accepted with sane fields that re-encode to exactly the input and
 *     decide consistently; exact-size heap copy so ASan sees over-reads.
 *   - the same bytes as header / environment text: gw_idem_key_parse (a
 *     key of 1..255 visible ASCII bytes) and gw_rate_policies_parse (valid
 *     policies, or an error message and the output untouched).
 *
 *   make fuzz (scripts/fuzz.sh builds it with libFuzzer, linking the
 *   gateway's pure sources: make -s print-pure-gateway)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edge/idem.h"
#include "edge/ratelimit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
record(const uint8_t *data, size_t size)
{
	struct gw_idem_record r;
	enum gw_idem_action a;
	unsigned char *buf, *again;
	size_t n = 0;

	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return;
	memcpy(buf, data, size);
	if (gw_idem_record_decode(buf, size, &r) == 0) {
		if (strlen(r.fingerprint) != GW_IDEM_FP_LEN ||
		    r.started_ms < 0 ||
		    (r.state == GW_IDEM_DONE &&
		     (r.status < 100 || r.status > 599)) ||
		    (r.state == GW_IDEM_IN_PROGRESS && r.body_len != 0) ||
		    strpbrk(r.content_type, "\r\n") != NULL ||
		    strpbrk(r.location, "\r\n") != NULL ||
		    strlen(r.location) > GW_IDEM_LOCATION_MAX)
			abort();
		again = malloc(size);
		if (again == NULL)
			abort();
		if (gw_idem_record_encode(&r, again, size, &n) != 0 ||
		    n != size || memcmp(again, buf, size) != 0)
			abort();
		free(again);
		if (gw_idem_decide(&r, r.fingerprint, &a) != 0 ||
		    a != (r.state == GW_IDEM_DONE ? GW_IDEM_REPLAY
		                                  : GW_IDEM_CONFLICT))
			abort();
	}
	free(buf);
}

static void
text(const char *s)
{
	struct gw_rate_policy p[GW_RC_COUNT], before[GW_RC_COUNT];
	char key[GW_IDEM_KEY_MAX + 1], err[128];
	size_t i, len;
	int rc;

	rc = gw_idem_key_parse(s, key, sizeof(key));
	if (rc != 0 && rc != -EINVAL)
		abort();
	len = strlen(key);
	if (rc == 0) {
		if (len < 1 || len > GW_IDEM_KEY_MAX)
			abort();
		for (i = 0; i < len; i++) {
			if (key[i] < 0x21 || key[i] > 0x7e)
				abort();
		}
	} else if (len != 0) {
		abort();
	}
	gw_rate_policies_default(p);
	memcpy(before, p, sizeof(p));
	rc = gw_rate_policies_parse(s, p, err, sizeof(err));
	if (rc == 0) {
		for (i = 0; i < GW_RC_COUNT; i++) {
			if (p[i].limit < 1 || p[i].limit > GW_RATE_LIMIT_MAX ||
			    p[i].window_s < 1 ||
			    p[i].window_s > GW_RATE_WINDOW_MAX ||
			    strcmp(p[i].name, gw_rate_class_name(
			                          (enum gw_rate_class)i)) != 0)
				abort();
		}
	} else if (rc != -EINVAL || memcmp(before, p, sizeof(p)) != 0 ||
	           strncmp(err, "bad rate-limit entry '", 22) != 0) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	record(data, size);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	text(s);
	free(s);
	return 0;
}
