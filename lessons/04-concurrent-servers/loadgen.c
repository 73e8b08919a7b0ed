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
#include "np.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_WAIT 10
#define MAX_BYTES    (LINE_MAX_LEN + 1) /* the longest line and its '\n' */

struct client {
	int fd;
	long round;     /* rounds finished */
	size_t sent;    /* bytes of this round's line sent */
	size_t got;     /* bytes of its echo received */
	int64_t t_sent; /* when the round's first byte went out */
};

static struct {
	const char *host, *port;
	long conns, rounds;
	size_t bytes;
	int wait, idle;
} opt = {"localhost", "8888", 1, 1000, 64, DEFAULT_WAIT, 0};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s [-a HOST] [-p PORT] [-c CONNECTIONS] [-n ROUNDS] "
	        "[-s BYTES]\n"
	        "               [-w SECONDS] [-i]\n"
	        "Drive a line-echo server and measure it.\n"
	        "  -a HOST         server (default localhost)\n"
	        "  -p PORT         port (default %d)\n"
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

/*
 * Run every round on every connection. lat gets one latency per round
 * trip. Returns 0, or -1 after printing what went wrong.
 */
static int run(struct client *cl, struct pollfd *pfd, char *line, char *rx,
               int64_t *lat)
{
	long active = opt.conns, nlat = 0, i;

	while (active > 0) {
		int n;

		for (i = 0; i < opt.conns; i++) {
			struct client *c = &cl[i];

			pfd[i].fd = c->round < opt.rounds ? c->fd : -1;
			pfd[i].events = c->sent < opt.bytes ? POLLOUT : POLLIN;
		}
		n = poll(pfd, (nfds_t)opt.conns, opt.wait * 1000);
		if (n < 0 && errno == EINTR && !np_stop)
			continue;
		if (n < 0 || np_stop) {
			np_warn(np_stop ? "interrupted" : "poll:");
			return -1;
		}
		if (n == 0) {
			np_warn("no reply within %d s (%ld of %ld connections "
			        "unfinished)",
			        opt.wait, active, opt.conns);
			return -1;
		}
		for (i = 0; i < opt.conns; i++) {
			struct client *c = &cl[i];
			ssize_t k;

			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			fill_line(line, opt.bytes, i, c->round);
			if (c->sent < opt.bytes) {
				if (c->sent == 0)
					c->t_sent = now_ns();
				k = send(c->fd, line + c->sent,
				         opt.bytes - c->sent, MSG_DONTWAIT);
				if (k < 0 &&
				    (errno == EAGAIN || errno == EWOULDBLOCK ||
				     errno == EINTR))
					continue;
				if (k < 0) {
					np_warn("connection %ld, round %ld: "
					        "send:",
					        i, c->round);
					return -1;
				}
				c->sent += (size_t)k;
				continue;
			}
			k = recv(c->fd, rx, opt.bytes - c->got, MSG_DONTWAIT);
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			              errno == EINTR))
				continue;
			if (k <= 0) {
				if (k == 0)
					np_warn("connection %ld, round %ld: "
					        "the "
					        "server closed the connection",
					        i, c->round);
				else
					np_warn("connection %ld, round %ld: "
					        "recv:",
					        i, c->round);
				return -1;
			}
			if (memcmp(rx, line + c->got, (size_t)k) != 0) {
				np_warn("connection %ld, round %ld: the echo "
				        "differs from the line sent, at byte "
				        "%zu",
				        i, c->round, c->got);
				return -1;
			}
			c->got += (size_t)k;
			if (c->got < opt.bytes)
				continue;
			lat[nlat++] = now_ns() - c->t_sent;
			c->sent = c->got = 0;
			if (++c->round < opt.rounds)
				continue;
			active--;
			/* Done: leave, so an iterative server takes the next.
			 */
			if (!opt.idle) {
				close(c->fd);
				c->fd = -1;
			}
		}
	}
	return 0;
}

static void report(int64_t *lat, long n, int64_t elapsed)
{
	double secs = (double)elapsed / 1e9;

	qsort(lat, (size_t)n, sizeof *lat, cmp_ns);
	printf("%ld round trips in %.3f s: %.0f round trips/s\n", n, secs,
	       secs > 0 ? (double)n / secs : 0.0);
	printf("latency: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       (double)lat[(n - 1) / 2] / 1e6,
	       (double)lat[(n * 99 - 1) / 100] / 1e6, (double)lat[n - 1] / 1e6);
	fflush(stdout);
}

int main(int argc, char *argv[])
{
	struct client *cl;
	struct pollfd *pfd;
	char *line, *rx;
	int64_t *lat, start;
	long i, v;
	int o, rc = 1;
	uint16_t port;

	np_progname = "loadgen";
	while ((o = getopt(argc, argv, "a:p:c:n:s:w:ih")) != -1) {
		switch (o) {
		case 'a':
			opt.host = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &port) < 0 || port == 0)
				goto bad;
			opt.port = optarg;
			break;
		case 'c':
			if (np_parse_long(optarg, 1, 100000, &opt.conns) < 0)
				goto bad;
			break;
		case 'n':
			if (np_parse_long(optarg, 1, 100000000, &opt.rounds) <
			    0)
				goto bad;
			break;
		case 's':
			if (np_parse_long(optarg, 2, MAX_BYTES, &v) < 0)
				goto bad;
			opt.bytes = (size_t)v;
			break;
		case 'w':
			if (np_parse_seconds(optarg, &opt.wait) < 0)
				goto bad;
			break;
		case 'i':
			opt.idle = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		optarg = argv[optind];
		goto bad;
	}
	if (opt.conns * opt.rounds > 20000000L) {
		np_warn("too many round trips: at most 20000000 in all");
		return 2;
	}
	if (np_catch_signals() < 0)
		np_die("sigaction:");
	raise_fd_limit(opt.conns + 16);
	cl = calloc((size_t)opt.conns, sizeof *cl);
	pfd = calloc((size_t)opt.conns, sizeof *pfd);
	lat = malloc((size_t)(opt.conns * opt.rounds) * sizeof *lat);
	line = malloc(opt.bytes);
	rx = malloc(opt.bytes);
	if (!cl || !pfd || !lat || !line || !rx)
		np_die("out of memory");
	for (i = 0; i < opt.conns; i++)
		cl[i].fd = -1;
	for (i = 0; i < opt.conns; i++) {
		cl[i].fd = net_connect(opt.host, opt.port);
		if (cl[i].fd < 0) {
			np_warn("connection %ld of %ld failed", i + 1,
			        opt.conns);
			goto out;
		}
	}
	start = now_ns();
	if (run(cl, pfd, line, rx, lat) < 0)
		goto out;
	report(lat, opt.conns * opt.rounds, now_ns() - start);
	if (opt.idle) {
		printf("holding %ld connections\n", opt.conns);
		fflush(stdout);
		np_wait_readable(np_stop_fd());
	}
	rc = 0;
out:
	for (i = 0; i < opt.conns; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	free(cl);
	free(pfd);
	free(lat);
	free(line);
	free(rx);
	return rc;
bad:
	np_warn("bad argument: %s", optarg);
	usage(stderr);
	return 2;
}
