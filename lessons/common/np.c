/* np.c - see np.h. */
#include "np.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

volatile _Atomic sig_atomic_t np_stop;

int np_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		errno = EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

int np_parse_port(const char *s, uint16_t *port)
{
	long v;

	if (np_parse_long(s, 0, 65535, &v) < 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int np_parse_seconds(const char *s, int *seconds)
{
	long v;

	if (np_parse_long(s, 1, 3600, &v) < 0)
		return -1;
	*seconds = (int)v;
	return 0;
}

/* The self-pipe: on_stop_signal writes to [1], np_wait_readable polls [0]. */
static int stop_pipe[2] = {-1, -1};

static void on_stop_signal(int sig)
{
	int saved = errno;

	(void)sig;
	np_stop = 1;
	if (write(stop_pipe[1], "", 1) < 0) {
		/* Full pipe: a wake-up is already waiting. */
	}
	errno = saved;
}

int np_set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int np_ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

int np_pipe(int fds[2])
{
	int i, saved;

	if (pipe(fds) < 0) {
		fds[0] = fds[1] = -1;
		return -1;
	}
	for (i = 0; i < 2; i++)
		if (np_set_nonblocking(fds[i]) < 0 ||
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0) {
			saved = errno;
			close(fds[0]);
			close(fds[1]);
			fds[0] = fds[1] = -1;
			errno = saved;
			return -1;
		}
	return 0;
}

int np_catch_signals(void)
{
	struct sigaction sa;

	/* Called again in a forked child: the child gets a pipe of its own. */
	if (stop_pipe[0] >= 0) {
		close(stop_pipe[0]);
		close(stop_pipe[1]);
	}
	if (np_pipe(stop_pipe) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop_signal;
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return -1;
	return np_ignore_sigpipe();
}

int np_stop_fd(void)
{
	return stop_pipe[0];
}

long long np_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int np_ms_left(long long deadline)
{
	long long left;

	if (deadline == NP_NO_DEADLINE)
		return -1;
	left = deadline - np_now_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

int np_wait_fd(int fd, short events, long long deadline)
{
	/* A negative fd (no stop pipe yet, or a pure pause) is ignored. */
	struct pollfd p[2] = {{.fd = fd, .events = events},
	                      {.fd = stop_pipe[0], .events = POLLIN}};
	int ready;

	for (;;) {
		if (np_stop)
			return 0;
		ready = poll(p, 2, np_ms_left(deadline));
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return -1;
		if (p[1].revents != 0)
			return 0;
		if (p[0].revents != 0)
			return 1;
		if (ready == 0 && np_ms_left(deadline) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

int np_wait_readable(int fd)
{
	return np_wait_fd(fd, POLLIN, NP_NO_DEADLINE);
}

int np_sleep_ms(int ms)
{
	return np_wait_fd(-1, 0, np_now_ms() + ms) < 0 ? 1 : 0;
}

int np_starved(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	       err == ENOMEM;
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

int np_set_timeouts(int fd, int seconds)
{
	struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
		return -1;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void np_close_gently(int fd)
{
	long long deadline = np_now_ms() + NP_DRAIN_MS;
	char junk[4096];
	size_t total = 0;
	ssize_t n;

	if (shutdown(fd, SHUT_WR) == 0)
		while (total < NP_DRAIN_MAX &&
		       np_wait_fd(fd, POLLIN, deadline) == 1) {
			n = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
			if (n < 0 && (errno == EINTR || errno == EAGAIN ||
			              errno == EWOULDBLOCK))
				continue;
			if (n <= 0)
				break;
			total += (size_t)n;
		}
	close(fd);
}

/* ==== START-UP: see np.h ==== */

const char *np_progname = "netprog";

/* One message, one fprintf(): threads reporting at once do not interleave. */
static void vreport(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt), len;
	char msg[1024];

	len = (size_t)snprintf(msg, sizeof msg, "%s: ", np_progname);
	if (len < sizeof msg)
		vsnprintf(msg + len, sizeof msg - len, fmt, ap);
	len = strlen(msg);
	if (n > 0 && fmt[n - 1] == ':' && len < sizeof msg)
		snprintf(msg + len, sizeof msg - len, " %s", strerror(saved));
	fprintf(stderr, "%s\n", msg);
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

/* ==== END START-UP ==== */
