/*
 * net.c - see net.h.
 */
#include "lines.h"
#include "net.h"
#include "np.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out, const char *about, int has_echo)
{
	fprintf(out, "usage: %s [-a ADDR] [-p PORT]%s\n%s\n", np_progname,
	        has_echo ? " [-e]" : "", about);
	fprintf(out, "  -a ADDR  address to listen on (default 127.0.0.1; "
	             "::1 for IPv6)\n");
	fprintf(out, "  -p PORT  port (default %d; 0: any free port)\n",
	        DEFAULT_PORT);
	if (has_echo)
		fprintf(out, "  -e       echo each line instead of asking the "
		             "operator\n");
	fprintf(out,
	        "Lines end with \\n and hold at most %d bytes; a longer one "
	        "closes its connection.\n",
	        LINE_MAX_LEN);
}

static int open_listener(const char *addr, uint16_t port)
{
	struct addrinfo hints, *res, *ai;
	char service[6];
	int fd = -1, one = 1, rc, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(service, sizeof service, "%u", (unsigned)port);
	rc = getaddrinfo(addr, service, &hints, &res);
	if (rc != 0)
		np_die("address %s: %s", addr, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		               sizeof one) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		errno = err;
		np_die("listen on %s port %u:", addr, (unsigned)port);
	}
	return fd;
}

int server_start(int argc, char *argv[], const char *about, int *echo)
{
	const char *addr = "127.0.0.1";
	uint16_t port = DEFAULT_PORT;
	int opt, fd;

	while ((opt = getopt(argc, argv, echo ? "a:p:eh" : "a:p:h")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &port) < 0) {
				np_warn("bad port: %s", optarg);
				usage(stderr, about, echo != NULL);
				exit(2);
			}
			break;
		case 'e':
			*echo = 1;
			break;
		case 'h':
			usage(stdout, about, echo != NULL);
			exit(0);
		default:
			usage(stderr, about, echo != NULL);
			exit(2);
		}
	}
	if (optind != argc) {
		np_warn("unexpected argument: %s", argv[optind]);
		usage(stderr, about, echo != NULL);
		exit(2);
	}
	if (np_catch_signals() < 0)
		np_die("sigaction:");
	fd = open_listener(addr, port);
	if (np_print_ready(fd) < 0)
		np_die("ready line:");
	return fd;
}

int net_connect(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		np_warn("%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		errno = err;
		np_warn("connect to %s port %s:", host, port);
	}
	return fd;
}

void accept_failed(void)
{
	int err = errno;

	np_warn("accept:");
	if (err == EMFILE || err == ENFILE)
		poll(NULL, 0, 100);
}

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
