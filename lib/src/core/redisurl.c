/* Parsing of Redis URLs, shared by the async client and the event threads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mp/redisurl.h"

int
mp_redis_url_parse(const char *url, struct mp_redis_addr *out)
{
	const char *p, *at, *host, *colon, *slash, *end;
	char *ep;
	long v;
	size_t len;

	memset(out, 0, sizeof(*out));
	out->port = 6379;
	if (url == NULL || strncmp(url, "redis://", 8) != 0)
		return -EINVAL;
	p = url + 8;
	end = p + strlen(p);
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = end;
	at = memchr(p, '@', (size_t)(slash - p));
	if (at != NULL) {
		const char *pw = memchr(p, ':', (size_t)(at - p));
		pw = pw != NULL ? pw + 1 : p;
		len = (size_t)(at - pw);
		if (len >= sizeof(out->password))
			return -EINVAL;
		memcpy(out->password, pw, len);
		host = at + 1;
	} else {
		host = p;
	}
	colon = memchr(host, ':', (size_t)(slash - host));
	len = (size_t)((colon != NULL ? colon : slash) - host);
	if (len == 0 || len >= sizeof(out->host))
		return -EINVAL;
	memcpy(out->host, host, len);
	if (colon != NULL) {
		errno = 0;
		v = strtol(colon + 1, &ep, 10);
		if (errno != 0 || ep != slash || ep == colon + 1 || v < 1 ||
		    v > 65535)
			return -EINVAL;
		out->port = (int)v;
	}
	if (*slash == '/' && slash[1] != '\0') {
		errno = 0;
		v = strtol(slash + 1, &ep, 10);
		if (errno != 0 || *ep != '\0' || v < 0 || v > 15)
			return -EINVAL;
		out->db = (int)v;
	}
	return 0;
}
