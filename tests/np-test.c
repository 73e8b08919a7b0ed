/*
 * np-test.c - see np-test.h.
 */
#include "np-test.h"
#include "np.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int nt_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

char *nt_unescape(const char *s, size_t *len)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (out == NULL)
		np_die("malloc:");
	while (*s != '\0') {
		if (*s != '\\' || s[1] == '\0') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'r':
			*o++ = '\r';
			s++;
			break;
		case 'n':
			*o++ = '\n';
			s++;
			break;
		case 't':
			*o++ = '\t';
			s++;
			break;
		case '0':
			*o++ = '\0';
			s++;
			break;
		case 'x': {
			char hex[3] = {0};
			char *end;

			memcpy(hex, s + 1, s[1] != '\0' ? 2 : 0);
			*o++ = (char)strtol(hex, &end, 16);
			if (end != hex + 2)
				np_die("bad \\x escape in %s", s - 1);
			s += 3;
			break;
		}
		default:
			*o++ = *s++;
			break;
		}
	}
	*len = (size_t)(o - out);
	*o = '\0';
	return out;
}

void nt_pause_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
	                      .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
