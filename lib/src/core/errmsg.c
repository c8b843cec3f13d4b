/*
 * mp_err_set: the one formatter of "err, errlen" error messages (contract
 * in mp/util.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "mp/util.h"

void
mp_err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
