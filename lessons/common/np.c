/* np.c - see np.h. */
#include "np.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>

const char *np_progname = "netprog";
volatile sig_atomic_t np_stop;

static void vreport(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	fprintf(stderr, "%s: ", np_progname);
	vfprintf(stderr, fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
	errno = saved;
}

void np_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(1);
}

void np_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

void np_todo(const char *id)
{
	fprintf(stderr, "%s: TODO(%s) not implemented\n", np_progname, id);
	exit(1);
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int np_parse_port(const char *s, uint16_t *port)
{
	long v;

	if (parse_long(s, 0, 65535, &v) < 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int np_parse_seconds(const char *s, int *seconds)
{
	long v;

	if (parse_long(s, 1, 3600, &v) < 0)
		return -1;
	*seconds = (int)v;
	return 0;
}

static void on_stop_signal(int sig)
{
	(void)sig;
	np_stop = 1;
}

/* The signal mask to wait with in np_wait_readable: the stop signals open. */
static sigset_t wait_mask;

void np_catch_signals(void)
{
	struct sigaction sa;
	sigset_t stop;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		np_die("sigaction:");
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		np_die("sigaction:");

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &stop, &wait_mask) < 0)
		np_die("sigprocmask:");
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
}

int np_wait_readable(int fd)
{
	fd_set readable;

	for (;;) {
		if (np_stop)
			return 0;
		FD_ZERO(&readable);
		FD_SET(fd, &readable);
		if (pselect(fd + 1, &readable, NULL, NULL, NULL, &wait_mask) >
		    0)
			return 1;
		if (errno != EINTR)
			return -1;
	}
}

char *np_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else {
		snprintf(buf, len, "(address family %d)", sa->sa_family);
	}
	return buf;
}

int np_print_ready(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	char addr[NP_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0)
		return -1;
	printf("listening on %s\n",
	       np_format_addr((struct sockaddr *)&ss, addr, sizeof addr));
	return fflush(stdout) == EOF ? -1 : 0;
}

int np_set_timeouts(int fd, int seconds)
{
	struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
		return -1;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}
