/*
 * loadgen - lesson 04's load generator (given: a measuring tool, not an
 * exercise). It opens CONNECTIONS connections to a line-echo server; each
 * sends a BYTES-byte line, waits for the whole echo, checks it byte for
 * byte, and does that ROUNDS times. One thread drives them all with
 * poll(2), so the client itself is not what limits the server. It prints
 * round trips per second and the latency distribution.
 *
 * With -i it then holds the connections open, idle, until SIGINT or
 * SIGTERM: the benchmark measures what idle clients cost a server.
 */
#include "lines.h"
#include "net.h"
#include "np-net.h"
#include "np.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_WAIT 10
#define MAX_BYTES    (LINE_MAX_LEN + 1) /* the longest line and its '\n' */
#define MAX_TRIPS    20000000L          /* round trips in all, at most */

struct options {
	const char *host, *port;
	long conns, rounds;
	size_t bytes;
	int wait, idle;
};

struct client {
	int fd;
	long round;     /* rounds finished */
	size_t sent;    /* bytes of this round's line sent */
	size_t got;     /* bytes of its echo received */
	int64_t t_sent; /* when the round's first byte went out */
};

/* A run: the options, every connection, and what it measured. */
struct load {
	const struct options *o;
	struct client *cl;  /* o->conns of them */
	struct pollfd *pfd; /* pfd[i] watches cl[i] */
	char *line, *rx;    /* the line of the moment; what came back */
	int64_t *lat;       /* one latency per round trip */
	long nlat, active;  /* latencies so far; connections not done */
	int64_t elapsed;    /* how long the run took, in ns */
	char why[256];      /* what went wrong, when something did */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s [-a HOST] [-p PORT] [-c CONNECTIONS] [-n ROUNDS] "
	        "[-s BYTES]\n"
	        "               [-w SECONDS] [-i]\n"
	        "Drive a line-echo server and measure it.\n"
	        "  -a HOST         server (default localhost)\n"
	        "  -p PORT         port (default %s)\n"
	        "  -c CONNECTIONS  connections at once (default 1)\n"
	        "  -n ROUNDS       round trips per connection (default 1000)\n"
	        "  -s BYTES        line size, '\\n' included (2..%d; default "
	        "64)\n"
	        "  -w SECONDS      give up when no reply comes for this long "
	        "(default %d)\n"
	        "  -i              then hold the connections, idle, until "
	        "SIGTERM\n",
	        np_progname, DEFAULT_PORT, MAX_BYTES, DEFAULT_WAIT);
}

/* Parse one option (getopt()'s o, with optarg) into opt. Returns 0, or -1
 * if its argument is bad. */
static int parse_option(int o, struct options *opt)
{
	uint16_t port;
	long v;

	switch (o) {
	case 'a':
		opt->host = optarg;
		return 0;
	case 'p':
		opt->port = optarg;
		return np_parse_port(optarg, &port) < 0 || port == 0 ? -1 : 0;
	case 'c':
		return np_parse_long(optarg, 1, 100000, &opt->conns);
	case 'n':
		return np_parse_long(optarg, 1, 100000000, &opt->rounds);
	case 's':
		if (np_parse_long(optarg, 2, MAX_BYTES, &v) < 0)
			return -1;
		opt->bytes = (size_t)v;
		return 0;
	case 'w':
		return np_parse_seconds(optarg, &opt->wait);
	default: /* 'i' */
		opt->idle = 1;
		return 0;
	}
}

/* Monotonic time in nanoseconds. */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The line connection i sends in round r: recognisable, never the same
 * for two connections or two rounds in a row. */
static void fill_line(char *buf, size_t bytes, long i, long r)
{
	size_t k;
	int n = snprintf(buf, bytes, "c%ld r%ld ", i, r);

	for (k = (size_t)n < bytes ? (size_t)n : bytes - 1; k < bytes - 1; k++)
		buf[k] = (char)('a' + (k + (size_t)i + (size_t)r) % 26);
	buf[bytes - 1] = '\n';
}

static int cmp_ns(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void raise_fd_limit(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)need) {
		rl.rlim_cur =
		        rl.rlim_max < (rlim_t)need ? rl.rlim_max : (rlim_t)need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Allocate a run of o's size, no connection open yet. Returns 0, or -1
 * with errno set (load_free() frees what was allocated). */
static int load_init(struct load *ld, const struct options *o)
{
	long i;

	memset(ld, 0, sizeof *ld);
	ld->o = o;
	ld->cl = calloc((size_t)o->conns, sizeof *ld->cl);
	ld->pfd = calloc((size_t)o->conns, sizeof *ld->pfd);
	ld->lat = malloc((size_t)(o->conns * o->rounds) * sizeof *ld->lat);
	ld->line = malloc(o->bytes);
	ld->rx = malloc(o->bytes);
	if (!ld->cl || !ld->pfd || !ld->lat || !ld->line || !ld->rx)
		return -1;
	for (i = 0; i < o->conns; i++)
		ld->cl[i].fd = -1;
	ld->active = o->conns;
	return 0;
}

/* Close every connection and free the run. */
static void load_free(struct load *ld)
{
	long i;

	for (i = 0; ld->cl != NULL && i < ld->o->conns; i++)
		if (ld->cl[i].fd >= 0)
			close(ld->cl[i].fd);
	free(ld->cl);
	free(ld->pfd);
	free(ld->lat);
	free(ld->line);
	free(ld->rx);
}

/* Open every connection. Returns how many opened: fewer than o->conns
 * when one failed, with errno set. */
static long connect_all(struct load *ld)
{
	long i;

	for (i = 0; i < ld->o->conns; i++) {
		ld->cl[i].fd =
		        np_connect(ld->o->host, ld->o->port, SOCK_STREAM);
		if (ld->cl[i].fd < 0)
			break;
	}
	return i;
}

/* "connection I, round R: " and the rest into ld->why. Returns -1. */
static int failed(struct load *ld, long i, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int failed(struct load *ld, long i, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(ld->why, sizeof ld->why,
	                 "connection %ld, round %ld: ", i, ld->cl[i].round);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof ld->why)
		vsnprintf(ld->why + n, sizeof ld->why - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* errno after a send() or recv() that only means "not now". */
static int not_now(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* Connection i finished a round trip: time it; after its last round,
 * leave (unless -i), so an iterative server takes the next. */
static void round_done(struct load *ld, long i)
{
	struct client *c = &ld->cl[i];

	ld->lat[ld->nlat++] = now_ns() - c->t_sent;
	c->sent = c->got = 0;
	if (++c->round < ld->o->rounds)
		return;
	ld->active--;
	if (!ld->o->idle) {
		close(c->fd);
		c->fd = -1;
	}
}

/* Connection i can make progress: send more of its line, or take and
 * check more of the echo. Returns 0, or -1 with ld->why set. */
static int step(struct load *ld, long i)
{
	struct client *c = &ld->cl[i];
	size_t bytes = ld->o->bytes;
	ssize_t k;

	fill_line(ld->line, bytes, i, c->round);
	if (c->sent < bytes) {
		if (c->sent == 0)
			c->t_sent = now_ns();
		k = send(c->fd, ld->line + c->sent, bytes - c->sent,
		         MSG_DONTWAIT);
		if (k < 0 && !not_now(errno))
			return failed(ld, i, "send: %s", strerror(errno));
		c->sent += k > 0 ? (size_t)k : 0;
		return 0;
	}
	k = recv(c->fd, ld->rx, bytes - c->got, MSG_DONTWAIT);
	if (k < 0 && not_now(errno))
		return 0;
	if (k == 0)
		return failed(ld, i, "the server closed the connection");
	if (k < 0)
		return failed(ld, i, "recv: %s", strerror(errno));
	if (memcmp(ld->rx, ld->line + c->got, (size_t)k) != 0)
		return failed(ld, i,
		              "the echo differs from the line sent, "
		              "at byte %zu",
		              c->got);
	c->got += (size_t)k;
	if (c->got == bytes)
		round_done(ld, i);
	return 0;
}

/* Wait until some connection can make progress (poll()). Returns 0, or
 * -1 with ld->why set: interrupted, poll() failed, or nothing for -w s. */
static int wait_progress(struct load *ld)
{
	const struct options *o = ld->o;
	long i;
	int n;

	for (i = 0; i < o->conns; i++) {
		struct client *c = &ld->cl[i];

		ld->pfd[i].fd = c->round < o->rounds ? c->fd : -1;
		ld->pfd[i].events = c->sent < o->bytes ? POLLOUT : POLLIN;
	}
	do
		n = poll(ld->pfd, (nfds_t)o->conns, o->wait * 1000);
	while (n < 0 && errno == EINTR && !np_stop);
	if (np_stop)
		snprintf(ld->why, sizeof ld->why, "interrupted");
	else if (n < 0)
		snprintf(ld->why, sizeof ld->why, "poll: %s", strerror(errno));
	else if (n == 0)
		snprintf(ld->why, sizeof ld->why,
		         "no reply within %d s (%ld of %ld connections "
		         "unfinished)",
		         o->wait, ld->active, o->conns);
	return n > 0 && !np_stop ? 0 : -1;
}

/*
 * Run every round on every connection; ld->lat gets one latency per round
 * trip. Returns 0, or -1 with ld->why saying what went wrong.
 */
static int run(struct load *ld)
{
	int64_t start = now_ns();
	long i;

	while (ld->active > 0) {
		if (wait_progress(ld) < 0)
			return -1;
		for (i = 0; i < ld->o->conns; i++)
			if (ld->pfd[i].fd >= 0 && ld->pfd[i].revents != 0 &&
			    step(ld, i) < 0)
				return -1;
	}
	ld->elapsed = now_ns() - start;
	return 0;
}

/* Print the figures: throughput and latency. */
static void report(struct load *ld)
{
	double secs = (double)ld->elapsed / 1e9;
	int64_t *lat = ld->lat;
	long n = ld->nlat;

	qsort(lat, (size_t)n, sizeof *lat, cmp_ns);
	printf("%ld round trips in %.3f s: %.0f round trips/s\n", n, secs,
	       secs > 0 ? (double)n / secs : 0.0);
	printf("latency: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       (double)lat[(n - 1) / 2] / 1e6,
	       (double)lat[(n * 99 - 1) / 100] / 1e6, (double)lat[n - 1] / 1e6);
	fflush(stdout);
}

/* -i: hold the connections, idle, until SIGINT or SIGTERM. */
static void hold(const struct load *ld)
{
	printf("holding %ld connections\n", ld->o->conns);
	fflush(stdout);
	np_wait_readable(np_stop_fd());
}

/*
 * Read the command line into o. Returns 0 to run, 1 after -h, or -1 for a
 * bad one, with *bad the argument at fault (NULL: getopt() said what).
 */
static int parse_args(int argc, char *argv[], struct options *o,
                      const char **bad)
{
	int c;

	*bad = NULL;
	while ((c = getopt(argc, argv, "a:p:c:n:s:w:ih")) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?')
			return -1;
		if (parse_option(c, o) < 0) {
			*bad = optarg;
			return -1;
		}
	}
	if (optind != argc) {
		*bad = argv[optind];
		return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct options o = {.host = "localhost",
	                    .port = DEFAULT_PORT,
	                    .conns = 1,
	                    .rounds = 1000,
	                    .bytes = 64,
	                    .wait = DEFAULT_WAIT};
	struct load ld;
	const char *bad;
	long opened;
	int rc;

	np_progname = "loadgen";
	if ((rc = parse_args(argc, argv, &o, &bad)) != 0) {
		if (bad != NULL)
			np_warn("bad argument: %s", bad);
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	if (o.conns * o.rounds > MAX_TRIPS) {
		np_warn("too many round trips: at most %ld in all", MAX_TRIPS);
		return 2;
	}
	if (np_catch_signals() < 0)
		np_die("sigaction:");
	raise_fd_limit(o.conns + 16);
	if (load_init(&ld, &o) < 0)
		np_die("out of memory");
	rc = 1;
	if ((opened = connect_all(&ld)) < o.conns) {
		np_warn("connection %ld of %ld: connect to %s port %s:",
		        opened + 1, o.conns, o.host, o.port);
	} else if (run(&ld) < 0) {
		np_warn("%s", ld.why);
	} else {
		report(&ld);
		if (o.idle)
			hold(&ld);
		rc = 0;
	}
	load_free(&ld);
	return rc;
}
