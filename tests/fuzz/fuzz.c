/* fuzz.c - see fuzz.h. */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: broken promise: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/*
 * Written from RFC 3629's table (section 4), byte by byte, apart from the
 * lessons' own checker (json.c), so that one cannot vouch for the other.
 */
int fuzz_utf8_valid(const char *s, size_t len, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, need, k;
	unsigned long cp, min;

	while (i < len) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((u[i] & 0xE0) == 0xC0) {
			need = 1;
			cp = u[i] & 0x1F;
			min = 0x80;
		} else if ((u[i] & 0xF0) == 0xE0) {
			need = 2;
			cp = u[i] & 0x0F;
			min = 0x800;
		} else if ((u[i] & 0xF8) == 0xF0) {
			need = 3;
			cp = u[i] & 0x07;
			min = 0x10000;
		} else {
			*bad = i;
			return 0;
		}
		for (k = 1; k <= need; k++) {
			if (i + k >= len || (u[i + k] & 0xC0) != 0x80) {
				*bad = i;
				return 0;
			}
			cp = cp << 6 | (u[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF)) {
			*bad = i;
			return 0;
		}
		i += need + 1;
	}
	return 1;
}
